#include "analyzer/views/sample_filter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace kiln::analyzer {

bool SampleFilter::keeps(int32_t pid, int32_t tid, const std::string& comm, const std::string& thread_comm,
                         double t) const {
    if (!pids.empty() && std::find(pids.begin(), pids.end(), pid) == pids.end()) return false;
    if (!tids.empty() && std::find(tids.begin(), tids.end(), tid) == tids.end()) return false;
    if (!comms.empty() && std::find(comms.begin(), comms.end(), comm) == comms.end() &&
        std::find(comms.begin(), comms.end(), thread_comm) == comms.end())
        return false;
    if (start_s && t < *start_s) return false;
    if (end_s && t >= *end_s) return false;
    return true;
}

namespace {
Result<std::optional<double>> parse_seconds(const std::string& s, const std::string& whole) {
    if (s.empty()) return std::optional<double>();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(v) || v < 0)
        return make_error("--time " + whole + ": '" + s + "' is not a number of seconds (use START,END, e.g. 1.5,3)");
    return std::optional<double>(v);
}
}  // namespace

Status parse_time_range(const std::string& text, SampleFilter& filter) {
    const size_t comma = text.find(',');
    if (comma == std::string::npos)
        return make_error("--time " + text + ": expected START,END in seconds from the start (e.g. 1.5,3 or 2,)");
    auto start = parse_seconds(text.substr(0, comma), text);
    if (!start) return start.error();
    auto end = parse_seconds(text.substr(comma + 1), text);
    if (!end) return end.error();
    if (*start && *end && **end <= **start) return make_error("--time " + text + ": END must be after START");
    filter.start_s = *start;
    filter.end_s = *end;
    return Status::success();
}

}  // namespace kiln::analyzer
