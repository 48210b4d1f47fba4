// The timeline as CSV: a header row `t_s,<series names...>`, then one row per window (its
// start in seconds from the recording's start); a window without a value has an empty cell.
#pragma once

#include <ostream>

#include "analyzer/timeline/timeline.h"

namespace kiln::analyzer {

void write_timeline_csv(const Timeline& timeline, std::ostream& out);

}  // namespace kiln::analyzer
