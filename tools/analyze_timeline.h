// `kiln analyze FILE --view timeline`: builds the timeline and writes it as text (stdout by
// default), --json, --csv and --svg. Also the timeline files of `kiln analyze -o DIR`.
#pragma once

#include <string>
#include <vector>

namespace kiln::tools {

struct TimelineArgs {
    std::string file;
    std::string window;  // --window DURATION ("" = 100ms)
    std::string time;    // --time A,B
    std::string json, csv, svg;
};

// Exit code: 0, 1 (the recording has nothing to chart, or a file could not be written), 2 (bad flags).
int run_timeline(const TimelineArgs& args);

// For -o DIR: writes DIR/timeline.{json,csv,svg} when the recording holds counters; says nothing
// otherwise. Adds the paths written to written; returns an error message, or "".
std::string write_timeline_files(const std::string& file, const std::string& window, const std::string& time,
                                 const std::string& dir, std::vector<std::string>& written);

}  // namespace kiln::tools
