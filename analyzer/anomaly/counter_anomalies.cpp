#include "analyzer/anomaly/counter_anomalies.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "analyzer/anomaly/series_detector.h"

namespace kiln::analyzer {

namespace {

// The smallest move that means something, by unit: a task in the run queue, 5 points of CPU
// or pressure, a tenth of a thread's time off CPU per window, 1 MiB of resident memory. Counts
// per window (syscalls, faults) have none: their own range and mean set the scale.
double min_change_of(const TimelineSeries& s, uint64_t window_ns) {
    if (s.unit == "%") return 5;
    if (s.unit == "tasks") return 1;
    if (s.unit == "ns") return static_cast<double>(window_ns) / 10;
    if (s.unit == "bytes") return 1 << 20;
    return 0;
}

void judge_series(AnomalyReport& report, const TimelineSeries& s, const TimelineWindows& w, size_t whole,
                  Sensitivity sensitivity, const std::string& label) {
    SeriesDetector detector(sensitivity, min_change_of(s, w.window_ns));
    bool open = false;
    for (size_t i = 0; i < s.values.size() && i < whole; ++i) {
        const SeriesVerdict v = detector.judge(s.values[i]);
        if (!v.anomalous) {
            open = false;
            continue;
        }
        if (!open) {
            CounterRange r;
            r.series = label;
            r.unit = s.unit;
            r.start_s = w.t_s(i);
            r.expected = v.expected;
            report.counters.push_back(r);
            open = true;
        }
        CounterRange& r = report.counters.back();
        r.end_s = w.t_s(i) + static_cast<double>(w.window_ns) / 1e9;
        if (std::abs(v.z) > std::abs(r.z)) {
            r.z = v.z;
            r.peak = s.values[i];
        }
    }
}

double peak_of(const TimelineSeries& s) {
    double peak = 0;
    for (double v : s.values)
        if (std::isfinite(v)) peak = std::max(peak, v);
    return peak;
}

}  // namespace

void add_counter_anomalies(AnomalyReport& report, const Timeline& timeline, Sensitivity sensitivity) {
    const TimelineWindows& w = timeline.windows;
    // A last window that runs past the recording's end holds less of everything (and the run
    // queue of a command target drops as it exits): it is not judged.
    size_t whole = w.count;
    if (!report.windows.empty()) {
        const double end_s = report.windows.back().end_s, slack = 0.01 * static_cast<double>(w.window_ns) / 1e9;
        while (whole > 0 && w.t_s(whole - 1) + static_cast<double>(w.window_ns) / 1e9 > end_s + slack) --whole;
    }
    for (const char* name : kAnomalySeries)
        if (const TimelineSeries* s = timeline.find(name)) judge_series(report, *s, w, whole, sensitivity, name);
    // Resident memory of the processes that held the most.
    std::vector<const TimelineSeries*> rss;
    for (const auto& s : timeline.series)
        if (s.name.starts_with("process.") && s.name.ends_with(".rss")) rss.push_back(&s);
    std::sort(rss.begin(), rss.end(), [](const TimelineSeries* a, const TimelineSeries* b) { return peak_of(*a) > peak_of(*b); });
    if (rss.size() > kAnomalyRssProcesses) rss.resize(kAnomalyRssProcesses);
    for (const TimelineSeries* s : rss) {
        std::string label = s->name;
        const int32_t pid = std::atoi(s->name.c_str() + 8);
        if (const auto it = timeline.labels.find(pid); it != timeline.labels.end())
            label += " (" + it->second + ")";
        judge_series(report, *s, w, whole, sensitivity, label);
    }
}

}  // namespace kiln::analyzer
