// `kiln record`: opens the events, drains the rings into the writer until the target ends,
// a signal arrives or the duration passes, and finishes the file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "formats/recording_stats.h"
#include "formats/result.h"
#include "recorder/record_options.h"

namespace kiln::recorder {

struct RecordSummary {
    format::RecordingStats stats;
    uint64_t file_bytes = 0;
    uint64_t uncompressed_bytes = 0;  // everything written, before compression
    std::string path;   // the (last) file
    bool switched = false;  // --switch-output: stats and bytes are the last file's
    uint32_t files = 1;     // ... and this many were written
};

// note() receives one-line messages for the user (fallbacks, warnings).
Result<RecordSummary> record(const RecordOptions& opt, const std::function<void(const std::string&)>& note);

// "kiln record: 1234 samples, 0 lost, 1.2 MB written to kiln.data (6.1x compression)".
std::string summary_line(const RecordSummary& s);

}  // namespace kiln::recorder
