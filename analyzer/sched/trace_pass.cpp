#include "analyzer/sched/trace_pass.h"

#include <algorithm>
#include <cmath>

namespace kiln::analyzer {

namespace {

uint64_t at_seconds(uint64_t start_ns, double s) {
    return start_ns + static_cast<uint64_t>(std::llround(std::max(0.0, s) * 1e9));
}

// Passes on the records inside [from, to) (to 0: no end).
class TimeWindow final : public RecordVisitor {
public:
    TimeWindow(RecordVisitor& inner, uint64_t from, uint64_t to) : inner_(inner), from_(from), to_(to) {}
    void snapshot(const format::ProcessSnapshot& s) override { inner_.snapshot(s); }
    void record(const perf_event_header& h, std::span<const uint8_t> bytes, int event, uint64_t time) override {
        // Records without a time (0) are sideband that holds whatever the span: keep them.
        if (time != 0 && (time < from_ || (to_ != 0 && time >= to_))) return;
        inner_.record(h, bytes, event, time);
    }

private:
    RecordVisitor& inner_;
    uint64_t from_, to_;
};

}  // namespace

TraceReportInput TracePass::input(const format::RecordingHeader& header, const SampleFilter& rows) const {
    TraceReportInput in;
    in.header = &header;
    in.collector = collector.get();
    in.counters = &counters;
    in.ticks_per_second = ticks_per_second;
    in.start_ns = start_ns;
    in.end_ns = end_ns;
    in.rows = rows;
    return in;
}

Result<TracePass> run_trace_pass(format::RecordingReader& reader, TraceView view, const TracePassOptions& options) {
    const auto& header = reader.header();
    TracePass pass;
    const uint64_t start = header.start_time_ns;
    // Events are enabled just before the clock starts: the first span begins at 0 s.
    const uint64_t from = options.filter.start_s ? at_seconds(start, *options.filter.start_s) : 0;
    const uint64_t to = options.filter.end_s ? at_seconds(start, *options.filter.end_s) : 0;
    TraceOptions trace = options.trace;
    trace.start_ns = from ? from : start;
    auto collector = TraceCollector::create(header, trace);
    if (!collector) return make_error(reader.name() + ": " + collector.error().message);
    pass.collector = std::move(*collector);
    const TraceCollector& c = *pass.collector;
    if (view == TraceView::kSched && !c.has_sched())
        return make_error(reader.name() + ": the sched view needs sched:sched_switch events; record with `kiln record "
                                          "--sched` (switches, wakeups, migrations, fork, exec, exit)");
    if (view == TraceView::kSyscalls && !c.has_syscalls())
        return make_error(reader.name() + ": the syscalls view needs raw_syscalls:sys_enter and sys_exit events; "
                                          "record with `kiln record --syscalls`");
    TimeWindow window(*pass.collector, from, to);
    auto streamed = stream_recording(reader, window);
    if (!streamed) return streamed.error();
    const RecordingSideband& side = streamed->sideband;
    pass.counters = side.counters;
    pass.ticks_per_second = side.counter_ticks_per_second;
    uint64_t end = side.has_stats && side.stats.end_time_ns > start ? side.stats.end_time_ns : c.last_time();
    if (!side.counters.empty()) end = std::max(end, side.counters.back().time_ns);
    if (to) end = std::min(end, to);
    pass.start_ns = from ? from : start;
    pass.end_ns = std::max(end, pass.start_ns);
    if (view == TraceView::kPortrait && !c.has_sched() && !c.has_syscalls() && !c.has_cpu_samples() && side.counters.empty())
        return make_error(reader.name() + ": no portrait: the recording has no CPU samples, counters, scheduler or "
                                          "syscall events");
    pass.collector->finish(pass.end_ns);
    pass.warnings = streamed->warnings;
    for (auto& w : pass.collector->warnings()) pass.warnings.push_back(std::move(w));
    return pass;
}

}  // namespace kiln::analyzer
