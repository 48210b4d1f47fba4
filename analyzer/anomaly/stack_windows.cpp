#include "analyzer/anomaly/stack_windows.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace kiln::analyzer {

size_t buckets_per_window(const WindowedStacks& w, uint64_t window_ns, uint64_t duration_ns, std::string& why) {
    const uint64_t bucket = std::max<uint64_t>(w.bucket_ns, 1);
    // Never more than kMaxAnomalyWindows windows over the recording (a 1 ms window over days).
    const uint64_t span_buckets = std::max<uint64_t>(duration_ns / bucket + 1, w.bucket_end());
    const uint64_t fewest = (span_buckets + kMaxAnomalyWindows - 1) / kMaxAnomalyWindows;
    char text[200];
    if (window_ns > 0) {
        const uint64_t asked = std::max<uint64_t>(1, (window_ns + bucket - 1) / bucket);
        const size_t n = static_cast<size_t>(std::max(asked, fewest));
        std::snprintf(text, sizeof text, "--window %.3f s", static_cast<double>(n * bucket) / 1e9);
        why = text;
        return n;
    }
    const double seconds = std::max(1e-9, static_cast<double>(duration_ns) / 1e9);
    const double rate = static_cast<double>(w.samples) / seconds;  // samples a second
    const double want_s = rate > 0 ? kTargetWindowSamples / rate : seconds;
    const size_t min_buckets = static_cast<size_t>(std::max<uint64_t>(1, 100'000'000 / bucket));
    size_t n = static_cast<size_t>(std::ceil(want_s * 1e9 / static_cast<double>(bucket)));
    n = std::max({n, min_buckets, static_cast<size_t>(fewest)});
    std::snprintf(text, sizeof text,
                  "windows of %.3f s: about %.0f samples each at this recording's %.0f samples/s (the automatic "
                  "length aims at %.0f; --window sets it)",
                  static_cast<double>(n * bucket) / 1e9, rate * static_cast<double>(n * bucket) / 1e9, rate,
                  kTargetWindowSamples);
    why = text;
    return n;
}

std::vector<StackWindow> merge_windows(const WindowedStacks& w, size_t buckets, uint64_t end_ns) {
    std::vector<StackWindow> out;
    buckets = std::max<size_t>(buckets, 1);
    const uint64_t length = buckets * std::max<uint64_t>(w.bucket_ns, 1);
    const uint64_t span = end_ns > w.start_ns ? end_ns - w.start_ns : 0;
    const uint64_t count = std::max<uint64_t>({1, (span + length - 1) / length, (w.bucket_end() + buckets - 1) / buckets});
    if (count > kMaxAnomalyWindows) return out;  // buckets_per_window() never asks for that many
    out.resize(static_cast<size_t>(count));
    std::vector<std::map<uint32_t, double>> merged(out.size());
    for (const auto& b : w.buckets)
        for (const auto& [key, n] : b.counts) merged[static_cast<size_t>(b.index / buckets)][key] += n;
    for (size_t i = 0; i < out.size(); ++i) {
        StackWindow& win = out[i];
        win.start_ns = w.start_ns + i * length;
        win.end_ns = std::min(win.start_ns + length, std::max(end_ns, win.start_ns + 1));
        win.counts.assign(merged[i].begin(), merged[i].end());
        for (const auto& [key, n] : win.counts) win.total += n;
    }
    return out;
}

}  // namespace kiln::analyzer
