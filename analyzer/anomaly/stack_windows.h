// The anomalies view's windows: fine buckets of stack counts (profile/window_stacks.h) merged
// into windows of a fixed length, or of a length chosen so that a window holds enough samples
// for a test between two windows to mean something.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/profile/window_stacks.h"

namespace kiln::analyzer {

struct StackWindow {
    uint64_t start_ns = 0, end_ns = 0;                // on the samples' clock
    std::vector<std::pair<uint32_t, double>> counts;  // (stack key, samples), by key
    double total = 0;
};

inline constexpr double kTargetWindowSamples = 200;  // what the automatic length aims at
inline constexpr uint64_t kMaxAnomalyWindows = 100'000;  // windows are widened to stay below

// Buckets per window: for window_ns (a multiple of the bucket length, rounded up), or, when
// window_ns is 0, the fewest buckets (at least 100 ms) whose windows hold kTargetWindowSamples
// at the recording's average sample rate. why says which and why.
size_t buckets_per_window(const WindowedStacks& w, uint64_t window_ns, uint64_t duration_ns, std::string& why);

// The windows over [start, end_ns), the last one possibly shorter.
std::vector<StackWindow> merge_windows(const WindowedStacks& w, size_t buckets, uint64_t end_ns);

}  // namespace kiln::analyzer
