#include "analyzer/timeline/timeline_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analyzer/decode/record_stream.h"
#include "analyzer/timeline/counter_series.h"
#include "analyzer/timeline/sample_series.h"

namespace kiln::analyzer {

namespace {
uint64_t seconds_to_time(uint64_t start_ns, double s) {
    return start_ns + static_cast<uint64_t>(std::llround(std::max(0.0, s) * 1e9));
}
}  // namespace

TimelineWindows make_windows(uint64_t recording_start_ns, uint64_t from_ns, uint64_t to_ns, uint64_t window_ns) {
    TimelineWindows w;
    w.recording_start_ns = recording_start_ns;
    w.start_ns = from_ns;
    w.window_ns = window_ns;
    w.count = to_ns > from_ns ? static_cast<size_t>((to_ns - from_ns + window_ns - 1) / window_ns) : 1;
    return w;
}

Result<TimelineResult> build_timeline(format::RecordingReader& reader, const TimelineOptions& options) {
    if (options.window_ns == 0) return make_error("the timeline window must be longer than 0");
    const auto& header = reader.header();
    const uint64_t start = header.start_time_ns;
    const uint64_t from = options.start_s ? seconds_to_time(start, *options.start_s) : start;
    const uint64_t to_limit = options.end_s ? seconds_to_time(start, *options.end_s) : 0;
    // Windows are aligned on --time's start (or the recording's), so a window's t_s is a time
    // `--time` accepts back.
    SampleSeriesCollector samples(header, from, options.window_ns, to_limit, options.per_process);
    auto streamed = stream_recording(reader, samples);
    if (!streamed) return streamed.error();
    const RecordingSideband& side = streamed->sideband;
    uint64_t end = side.has_stats && side.stats.end_time_ns > start ? side.stats.end_time_ns : samples.last_time();
    if (!side.counters.empty()) end = std::max(end, side.counters.back().time_ns);
    if (to_limit) end = std::min(end, to_limit);
    if (side.counters.empty() && !samples.has_sample_events())
        return make_error(reader.name() +
                          ": no timeline: the recording has no counters (COUNTERS chunks, written by kiln record "
                          "since format 4.1) and no CPU, page-fault or sched_switch samples; record it again with "
                          "a current kiln record");
    if (end <= from)
        return make_error(reader.name() + ": no timeline: --time starts at or after the end of the recording (" +
                          std::to_string(static_cast<double>(end - std::min(end, start)) / 1e9) + " s)");

    TimelineResult out;
    Timeline& t = out.timeline;
    t.windows = make_windows(start, from, end, options.window_ns);
    // Memory is windows x series: a window of 1 ns over minutes would be gigabytes.
    if (t.windows.count > kMaxTimelineWindows)
        return make_error("--window " + std::to_string(options.window_ns) + " ns makes " +
                          std::to_string(t.windows.count) + " windows over " +
                          std::to_string(static_cast<double>(end - from) / 1e9) + " s; at most " +
                          std::to_string(kMaxTimelineWindows) + ": give a longer --window or a shorter --time");
    add_counter_series(side.counters, side.counter_ticks_per_second, t,
                       options.per_process ? std::numeric_limits<size_t>::max() : options.rss_processes,
                       options.per_process);
    samples.finish(t, end);
    if (t.find("load.1min"))
        t.notes.push_back("load.1min is the kernel's 1-minute load average, which it updates only every 5 s; "
                          "load.running is the run queue at each snapshot");
    std::erase_if(t.series, [](const TimelineSeries& s) { return !s.has_points(); });
    if (t.series.empty())
        return make_error(reader.name() + ": no timeline: no counter snapshot or sample falls inside the windows");
    out.has_counters = !side.counters.empty();
    out.warnings = streamed->warnings;
    for (auto& w : samples.warnings()) out.warnings.push_back(std::move(w));
    return out;
}

}  // namespace kiln::analyzer
