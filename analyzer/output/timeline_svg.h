// The timeline as a standalone SVG chart: one panel per unit (%, tasks, load, bytes, bytes/s,
// ns, samples, faults), each with a time axis in seconds from the recording's start, a value
// axis, a title and a legend. No script; opens in any browser or image viewer.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "analyzer/timeline/timeline.h"

namespace kiln::analyzer {

// A time range shaded across every panel (the anomalies view's ranges), with a label.
struct TimelineMark {
    double start_s = 0, end_s = 0;
    std::string label;  // shown when hovered, and above the first panel
};

struct TimelineSvgOptions {
    std::string title = "kiln timeline";
    std::string subtitle;  // e.g. the recording's file name
    std::vector<TimelineMark> marks;
};

void write_timeline_svg(const Timeline& timeline, const TimelineSvgOptions& options, std::ostream& out);

}  // namespace kiln::analyzer
