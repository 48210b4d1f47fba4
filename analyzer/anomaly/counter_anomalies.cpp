#include "analyzer/anomaly/counter_anomalies.h"

#include <cmath>

#include "analyzer/anomaly/series_detector.h"

namespace kiln::analyzer {

namespace {

// The smallest move that means something, by unit: a task in the run queue, 5 points of CPU
// or pressure, a tenth of a thread's time off CPU per window. Counts per window (syscalls,
// faults) have none: their own range and mean set the scale.
double min_change_of(const TimelineSeries& s, uint64_t window_ns) {
    if (s.unit == "%") return 5;
    if (s.unit == "tasks") return 1;
    if (s.unit == "ns") return static_cast<double>(window_ns) / 10;
    return 0;
}

}  // namespace

void add_counter_anomalies(AnomalyReport& report, const Timeline& timeline, Sensitivity sensitivity) {
    const TimelineWindows& w = timeline.windows;
    for (const char* name : kAnomalySeries) {
        const TimelineSeries* s = timeline.find(name);
        if (!s) continue;
        SeriesDetector detector(sensitivity, min_change_of(*s, w.window_ns));
        bool open = false;
        for (size_t i = 0; i < s->values.size() && i < w.count; ++i) {
            const SeriesVerdict v = detector.judge(s->values[i]);
            if (!v.anomalous) {
                open = false;
                continue;
            }
            if (!open) {
                CounterRange r;
                r.series = name;
                r.unit = s->unit;
                r.start_s = w.t_s(i);
                r.expected = v.expected;
                report.counters.push_back(r);
                open = true;
            }
            CounterRange& r = report.counters.back();
            r.end_s = w.t_s(i) + static_cast<double>(w.window_ns) / 1e9;
            if (std::abs(v.z) > std::abs(r.z)) {
                r.z = v.z;
                r.peak = s->values[i];
            }
        }
    }
}

}  // namespace kiln::analyzer
