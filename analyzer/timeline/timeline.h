// A timeline: series of values per window of time over a recording (`kiln analyze --view
// timeline`). Every time is seconds from the recording's start (the header's start_time_ns),
// the base `--time A,B` and the other views use, so a spike leads to its flame graph.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln::analyzer {

// The windows: [start + i * window, start + (i + 1) * window) for i < count, on the samples'
// clock; first_s is the first window's start in seconds from the recording's start.
struct TimelineWindows {
    uint64_t start_ns = 0;   // CLOCK_MONOTONIC of the first window's start
    uint64_t window_ns = 0;
    size_t count = 0;
    uint64_t recording_start_ns = 0;  // header start_time_ns: time zero

    uint64_t begin(size_t i) const { return start_ns + i * window_ns; }
    uint64_t end(size_t i) const { return begin(i) + window_ns; }
    // Seconds from the recording's start of window i's start.
    double t_s(size_t i) const { return static_cast<double>(begin(i) - recording_start_ns) / 1e9; }
    // The window holding time, or count when outside every window.
    size_t index(uint64_t time) const {
        if (time < start_ns || window_ns == 0) return count;
        const uint64_t i = (time - start_ns) / window_ns;
        return i < count ? static_cast<size_t>(i) : count;
    }
};

// One series: a value per window; NaN where the window has no value (no snapshot covers it).
struct TimelineSeries {
    std::string name;  // "load.running", "cpu.3.busy", "process.1234.cpu" ...
    std::string unit;  // "tasks", "%", "bytes", "bytes/s", "ns", "samples", "faults", "load"
    std::vector<double> values;
    bool has_points() const {
        for (double v : values)
            if (!std::isnan(v)) return true;
        return false;
    }
};

struct Timeline {
    TimelineWindows windows;
    std::vector<TimelineSeries> series;   // machine series first, then per process (by pid)
    std::map<int32_t, std::string> labels;  // pid -> comm, for the process.PID.* series
    std::vector<std::string> notes;         // said with every output (e.g. load.1min's 5 s update)

    const TimelineSeries* find(const std::string& name) const {
        for (const auto& s : series)
            if (s.name == name) return &s;
        return nullptr;
    }
};

inline constexpr double kNoValue = NAN;
// Memory is windows x series: more windows than this is refused (a 1 ns window over minutes).
inline constexpr size_t kMaxTimelineWindows = 1'000'000;

}  // namespace kiln::analyzer
