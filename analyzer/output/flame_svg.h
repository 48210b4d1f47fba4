// Flame graph as one self-contained SVG (inline script, no external resources), in the
// spirit of Brendan Gregg's FlameGraph: hover for name, value and share; click to zoom;
// Ctrl-F or "Search" to highlight a regex and show its share; colours tell user, kernel,
// inlined, JIT and other frames apart. The page also takes ?s=REGEX (search on load) and
// ?z=NAME (zoom to the first frame of that name), so a view can be shared as a link.
#pragma once

#include <ostream>
#include <string>

#include "analyzer/profile/flame_tree.h"

namespace kiln::analyzer {

struct FlameSvgOptions {
    std::string title = "Flame Graph";
    std::string subtitle;          // e.g. "cpu (cpu, nanoseconds) · 12345 samples · rec.kiln"
    std::string unit = "samples";  // "nanoseconds", "bytes", "count", "samples": how values are shown
    int width = 1200;              // pixels; at least 200
    double min_width_px = 0.1;     // narrower frames are not drawn (their value still counts above)
    bool inverted = false;         // icicle graph: root at the top
    // Differential graph (kiln diff): widths are the tree's values (NEW), each frame is
    // coloured by the change of its share, total/root.total against base/root.base: red
    // grew, blue shrank, near-white unchanged, the colour's intensity growing with the
    // change (full at the graph's largest change, or at 1 point of share if none is bigger);
    // hover shows the share before and after.
    bool differential = false;
};

// Writes the graph of root (whose total is 100%). Frames are drawn in the tree's order,
// depth first; a frame that is not drawn hides its whole subtree, and the number of such
// frames is written in the graph's footer and an XML comment.
void write_flame_svg(const FlameNode& root, const FlameSvgOptions& opts, std::ostream& out);

// Text made safe for XML text and attribute values: markup characters escaped, invalid
// UTF-8, control characters and the non-characters U+FFFE/U+FFFF replaced (a process may
// name itself "<script>" or hold arbitrary bytes).
std::string xml_escape(const std::string& s);

}  // namespace kiln::analyzer
