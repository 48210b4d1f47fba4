// The timeline as JSON: {"window_ns": N, "start_s": S, "windows": W, "series": [{"name", "unit",
// "points": [[t_s, value], ...]}], "labels": {"PID": "comm"}, "notes": [...]}. t_s is a window's
// start in seconds from the recording's start; windows without a value have no point.
#pragma once

#include <ostream>

#include "analyzer/timeline/timeline.h"

namespace kiln::analyzer {

void write_timeline_json(const Timeline& timeline, std::ostream& out);

}  // namespace kiln::analyzer
