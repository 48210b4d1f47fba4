// Speedscope's file format (https://www.speedscope.app/file-format-schema.json), evented
// profiles: one profile per thread whose events open and close frames at times in nanoseconds
// from the recording's start, so speedscope's "Time Order" view is the threads' real timeline.
//
//   {"$schema": "https://www.speedscope.app/file-format-schema.json",
//    "shared": {"frames": [{"name": "main", "file": "cpu_split.c", "line": 40}, ...]},
//    "profiles": [{"type": "evented", "name": "comm (pid/tid)", "unit": "nanoseconds",
//                  "startValue": 0, "endValue": DURATION_NS,
//                  "events": [{"type": "O", "frame": 0, "at": 1000}, {"type": "C", ...}, ...]}],
//    "name": ..., "activeProfileIndex": THE_BUSIEST_THREAD, "exporter": "kiln ..."}
//
// Every profile spans the whole recording (startValue 0, endValue its duration), so threads
// line up and a thread's idle time shows as gaps. The writer streams: events are written as
// they are read, not built into a JSON document first.
#pragma once

#include <ostream>
#include <string>

#include "analyzer/profile/stack_timeline.h"
#include "formats/result.h"

namespace kiln::analyzer {

struct SpeedscopeOptions {
    std::string name;  // the file's "name": what speedscope shows first
    std::string exporter = "kiln";
};

void write_speedscope(const StackTimelines& timelines, const SpeedscopeOptions& options, std::ostream& out);

// To path ("-" = standard output); errors name the path.
Status write_speedscope(const StackTimelines& timelines, const SpeedscopeOptions& options, const std::string& path);

}  // namespace kiln::analyzer
