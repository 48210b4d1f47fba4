// `kiln analyze --view timeline`: one pass over a recording into a Timeline (timeline.h) of the
// counter series (counter_series.h) and the sample series (sample_series.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/timeline/timeline.h"
#include "formats/recording_reader.h"
#include "formats/result.h"

namespace kiln::analyzer {

inline constexpr uint64_t kDefaultTimelineWindowNs = 100'000'000;  // 100 ms

struct TimelineOptions {
    uint64_t window_ns = kDefaultTimelineWindowNs;
    std::optional<double> start_s, end_s;  // --time A,B: seconds from the recording's start
    // false: no per-process or per-thread series but the resident memory of the rss_processes
    // processes that held the most (the anomalies view: a dense series per process is windows x
    // processes, gigabytes for a long system-wide recording).
    bool per_process = true;
    size_t rss_processes = 0;
};

struct TimelineResult {
    Timeline timeline;
    std::vector<std::string> warnings;
    bool has_counters = false;  // the recording held COUNTERS snapshots
};

// Fails (with what to record) when the recording has neither counters nor events any series
// counts, or when nothing falls inside --time.
Result<TimelineResult> build_timeline(format::RecordingReader& reader, const TimelineOptions& options);

// The windows over [start, end) of the recording: ceil((end - start) / window), at least one.
TimelineWindows make_windows(uint64_t recording_start_ns, uint64_t from_ns, uint64_t to_ns, uint64_t window_ns);

}  // namespace kiln::analyzer
