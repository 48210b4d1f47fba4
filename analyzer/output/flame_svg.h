// Flame graph as one self-contained SVG (inline script, no external resources), in the
// spirit of Brendan Gregg's FlameGraph: hover for name, value and share; click to zoom;
// Ctrl-F or "Search" to highlight a regex and show its share; colours tell user, kernel,
// inlined, JIT and other frames apart.
#pragma once

#include <ostream>
#include <string>

#include "analyzer/profile/flame_tree.h"

namespace kiln::analyzer {

struct FlameSvgOptions {
    std::string title = "Flame Graph";
    std::string subtitle;
    std::string unit = "samples";  // "nanoseconds", "bytes", "count", "samples": how hover shows values
    int width = 1200;
    double min_width_px = 0.1;     // narrower frames are not drawn (their value still counts above)
    bool inverted = false;         // icicle graph: root at the top
};

void write_flame_svg(const FlameNode& root, const FlameSvgOptions& opts, std::ostream& out);

// Text made safe for XML: escaped markup characters, invalid UTF-8 and control characters
// replaced (a process may name itself "<script>" or hold arbitrary bytes).
std::string xml_escape(const std::string& s);

}  // namespace kiln::analyzer
