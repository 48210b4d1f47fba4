// `kiln analyze --view sched|syscalls|portrait`: one pass over a recording (limited to --time)
// into a TraceCollector, then the view's report with --pid/--tid/--comm choosing its rows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analyzer/sched/trace_collector.h"
#include "analyzer/sched/trace_report.h"
#include "analyzer/views/sample_filter.h"
#include "formats/recording_reader.h"
#include "formats/result.h"

namespace kiln::analyzer {

enum class TraceView : uint8_t { kSched, kSyscalls, kPortrait };

struct TracePassOptions {
    TraceOptions trace;
    SampleFilter filter;  // --time limits the pass; the rest chooses rows
};

struct TracePass {
    std::unique_ptr<TraceCollector> collector;
    std::vector<format::CounterSnapshot> counters;
    uint32_t ticks_per_second = 100;
    uint64_t start_ns = 0, end_ns = 0;
    std::vector<std::string> warnings;

    TraceReportInput input(const format::RecordingHeader& header, const SampleFilter& rows) const;
};

// Fails, saying what to record, when the recording lacks what the view needs: sched needs
// sched:sched_switch (--sched or --off-cpu), syscalls raw_syscalls (--syscalls); portrait
// takes whatever is there but needs CPU samples, counters, sched or syscall events.
Result<TracePass> run_trace_pass(format::RecordingReader& reader, TraceView view, const TracePassOptions& options);

}  // namespace kiln::analyzer
