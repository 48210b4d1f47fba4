// --pid, --tid, --comm and --time: which samples a view keeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/duration_text.h"
#include "formats/result.h"

namespace kiln::analyzer {

struct SampleFilter {
    std::vector<int32_t> pids;
    std::vector<int32_t> tids;
    std::vector<std::string> comms;  // process or thread name, exact
    std::optional<double> start_s;   // seconds from the start of the recording
    std::optional<double> end_s;

    bool keeps(int32_t pid, int32_t tid, const std::string& comm, const std::string& thread_comm,
               double seconds_from_start) const;
    bool empty() const { return pids.empty() && tids.empty() && comms.empty() && !start_s && !end_s; }
};

// "START,END" in seconds; either side may be empty ("2," = from 2 s on, ",1.5" = until 1.5 s).
Status parse_time_range(const std::string& text, SampleFilter& filter);

// Moved to formats/ so that `kiln record` can parse its intervals without analyzer code.
using format::parse_duration_ns;

}  // namespace kiln::analyzer
