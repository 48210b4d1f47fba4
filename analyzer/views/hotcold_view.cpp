#include "analyzer/views/hotcold_view.h"

#include "analyzer/views/cpu_view.h"

namespace kiln::analyzer {

namespace {

// The first CPU clock event (cpu-clock, task-clock): its sample periods are nanoseconds.
int clock_event(const format::RecordingHeader& header, const EventTable& events) {
    for (int e : cpu_events(header, events))
        if (header.events[static_cast<size_t>(e)].is_clock) return e;
    return -1;
}

}  // namespace

bool HotColdView::applies(const format::RecordingHeader& header, const EventTable& events) {
    return SchedTracepoints::recorded(header) && clock_event(header, events) >= 0;
}

Result<std::unique_ptr<HotColdView>> HotColdView::create(const format::RecordingHeader& header,
                                                         const EventTable& events, uint64_t min_block_ns) {
    auto sched = SchedTracepoints::find(header, "hotcold");
    if (!sched) return sched.error();
    const int cpu = clock_event(header, events);
    if (cpu < 0)
        return make_error("the hotcold view needs on-CPU time from a clock event (cpu-clock or task-clock) besides "
                          "sched:sched_switch; record with `kiln record --off-cpu -e cpu-clock`");
    const perf_event_attr& a = events.attr(cpu);
    const int64_t period = a.freq && a.sample_freq > 0 ? static_cast<int64_t>(1000000000 / a.sample_freq)
                                                       : static_cast<int64_t>(a.sample_period);
    return std::unique_ptr<HotColdView>(new HotColdView(*sched, events, min_block_ns, cpu, period));
}

HotColdView::HotColdView(const SchedTracepoints& sched, const EventTable& events, uint64_t min_block_ns,
                         int cpu_event, int64_t period)
    : BlockedTimeView(sched, events, {{"cpu", "nanoseconds"}, {"offcpu", "nanoseconds"}, {"wall", "nanoseconds"}},
                      min_block_ns, false),
      cpu_event_(cpu_event),
      period_(period) {}

bool HotColdView::wants(int event) const { return event == cpu_event_ || BlockedTimeView::wants(event); }

void HotColdView::sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) {
    if (event != cpu_event_) {
        BlockedTimeView::sample(s, event, labels, stacks);
        return;
    }
    running(static_cast<int32_t>(s.tid), s.time);
    unwind(s, event, stacks, frames_);
    const auto ns = static_cast<int64_t>(s.period);
    const int64_t values[] = {ns, 0, ns};
    builder_.add(frames_, labels, values, stacks.last_mark());
}

void HotColdView::add_block(const Block& b) {
    block_frames(b, frames_);
    const auto ns = static_cast<int64_t>(b.duration());
    const int64_t values[] = {0, ns, ns};
    builder_.add(frames_, b.labels, values, b.unwind);
}

}  // namespace kiln::analyzer
