// The timeline as text (the default on stdout): a header line with the window size, a row per
// window with the main series (load, CPU busy, samples, PSI, off-CPU, the busiest processes),
// then a one-line sparkline (▁▂▃▄▅▆▇█) per series with its unit, min and max.
#pragma once

#include <ostream>
#include <string>

#include "analyzer/timeline/timeline.h"

namespace kiln::analyzer {

void write_timeline_text(const Timeline& timeline, std::ostream& out);
// values as ▁..█ between their min and max, at most width characters (windows averaged in
// groups when there are more); a window without a value is a space.
std::string sparkline(const std::vector<double>& values, size_t width);

}  // namespace kiln::analyzer
