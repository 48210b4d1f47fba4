// `kiln analyze --view anomalies`: windows judged by the stack detector (stack_detector.h),
// anomalous windows grouped into kinds (average-linkage agglomerative clustering on the
// Jensen-Shannon distances of the functions each has in excess of normal, cut at 0.7: the number of kinds is not given in advance), consecutive anomalous windows of one kind merged into a range, and for
// each range and kind the functions whose share changed most against normal (kiln diff's
// two-proportion test, Holm-corrected).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/anomaly/stack_detector.h"
#include "analyzer/anomaly/stack_windows.h"

namespace kiln::analyzer {

struct AnomalyOptions {
    uint64_t window_ns = 0;  // 0: chosen from the sample rate
    Sensitivity sensitivity = Sensitivity::kNormal;
    std::optional<std::pair<double, double>> baseline_s;  // --baseline-time A,B (seconds from the start)
    // --baseline FILE: that recording's per-bucket stacks (a normal run). Its windows are judged
    // first, so the detector learns what normal is and how much normal windows vary, and each
    // range's changes and flame graph are against its stacks.
    std::optional<WindowedStacks> baseline_recording;
};

struct FunctionChange {
    std::string function;
    double share_before = 0, share_after = 0;  // inclusive: samples whose stack holds it
    double p = 1;                              // Holm-adjusted
};

struct AnomalyRange {
    double start_s = 0, end_s = 0;
    double score = 0;     // the highest -log10(p) of its windows
    double distance = 0;  // the largest Jensen-Shannon distance of its windows
    int kind = 0;
    size_t windows = 0;
    std::vector<FunctionChange> changes;
    std::vector<std::pair<uint32_t, double>> counts;  // its stacks (keys of the report)
};

struct AnomalyKind {
    int id = 0;
    std::string label;  // its top changed functions
    size_t windows = 0, ranges = 0;
    std::vector<FunctionChange> changes;
};

// A stretch of windows where a counter series (load.running, cpu.busy, psi.*, syscalls ...)
// left its usual level (series_detector.h).
struct CounterRange {
    std::string series, unit;
    double start_s = 0, end_s = 0;
    double z = 0;         // the largest deviation, in standard deviations (signed)
    double expected = 0;  // the level before
    double peak = 0;      // the value at the largest deviation
};

struct WindowScore {
    double start_s = 0, end_s = 0, score = 0, distance = 0;
    bool judged = false, anomalous = false;
};

struct AnomalyReport {
    uint64_t window_ns = 0;
    std::string window_why;
    Sensitivity sensitivity = Sensitivity::kNormal;
    size_t judged = 0, anomalous = 0;
    double distance_floor = 0;
    std::vector<WindowScore> windows;
    std::vector<AnomalyRange> ranges;
    std::vector<AnomalyKind> kinds;
    std::vector<CounterRange> counters;                 // add_counter_anomalies()
    std::vector<std::string> keys;                      // stack names, for the counts
    std::vector<std::pair<uint32_t, double>> normal;    // the normal windows' stacks
    std::vector<std::string> notes;
};

// stacks: the cpu view's per-bucket counts; end_ns: the recording's end on the samples' clock.
AnomalyReport find_anomalies(WindowedStacks stacks, uint64_t end_ns, const AnomalyOptions& options);

// The functions of a folded key "comm;root;...;leaf", root first (the first element is the
// process name, not a function); views into key.
std::vector<std::string_view> functions_of(const std::string& key);

// Inclusive shares before/after per function, tested and ordered by the size of the change.
std::vector<FunctionChange> changed_functions(const std::vector<std::string>& keys,
                                              const std::vector<std::pair<uint32_t, double>>& before,
                                              const std::vector<std::pair<uint32_t, double>>& after, size_t most);

}  // namespace kiln::analyzer
