// --pid, --tid, --comm and --time: which samples a view keeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// "250us", "1.5ms", "2s", "100ns" (a bare number is nanoseconds) → nanoseconds; option names
// the flag in errors (e.g. "--min-block").
Result<uint64_t> parse_duration_ns(const std::string& text, const std::string& option);

}  // namespace kiln::analyzer
