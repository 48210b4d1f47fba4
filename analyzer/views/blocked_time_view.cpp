#include "analyzer/views/blocked_time_view.h"

#include <cstring>
#include <optional>

#include "formats/perf_records.h"

namespace kiln::analyzer {

BlockedTimeView::BlockedTimeView(const SchedTracepoints& sched, const EventTable& events,
                                 std::vector<SampleType> types, uint64_t min_block_ns, bool with_wakers)
    : builder_(std::move(types)), sched_(sched), tracker_(min_block_ns), with_wakers_(with_wakers) {
    for (size_t e = 0; e < events.size(); ++e) {
        const perf_event_attr& a = events.attr(static_cast<int>(e));
        regs_masks_.push_back(a.sample_regs_user);
        modes_.push_back(stack_mode(a, ""));  // sched and CPU events: never entry probes
        layouts_.push_back(events.layout(static_cast<int>(e)));
    }
}

bool BlockedTimeView::wants(int event) const {
    return event >= 0 && (event == sched_.switch_event() || event == sched_.wake_event());
}

void BlockedTimeView::unwind(const format::ParsedSample& s, int e, StackBuilder& stacks,
                             std::vector<RawFrame>& out) const {
    out.clear();
    const auto i = static_cast<size_t>(e);
    stacks.frames(s, i < regs_masks_.size() ? regs_masks_[i] : 0, i < modes_.size() ? modes_[i] : StackMode::kFramePointer, out);
}

void BlockedTimeView::switch_in(int32_t tid, uint64_t time) {
    if (tid <= 0) return;  // the idle task
    if (auto b = tracker_.switch_in(tid, time)) add_block(*b);
}

void BlockedTimeView::running(int32_t tid, uint64_t time) {
    if (tid <= 0) return;
    if (auto b = tracker_.ran(tid, time)) add_block(*b);
}

void BlockedTimeView::wakeup(const format::ParsedSample& s, int event, const SampleLabels& labels,
                             StackBuilder& stacks) {
    running(static_cast<int32_t>(s.tid), s.time);  // the waker runs
    auto wakee = sched_.parse_wakee(s.raw);
    if (!wakee || !tracker_.is_blocked(*wakee)) return;  // unwind only wakers of tracked blocks
    std::optional<Waker> w;
    if (with_wakers_) {
        w.emplace();
        unwind(s, event, stacks, w->frames);
        w->unwind = stacks.last_mark();
        w->comm = !labels.thread_comm.empty() ? labels.thread_comm
                  : !labels.comm.empty()      ? labels.comm
                                              : "[tid " + std::to_string(s.tid) + "]";
    }
    tracker_.woken(*wakee, s.time, std::move(w));
}

void BlockedTimeView::sample(const format::ParsedSample& s, int event, const SampleLabels& labels,
                             StackBuilder& stacks) {
    if (event == sched_.wake_event()) {
        wakeup(s, event, labels, stacks);
        return;
    }
    auto sw = sched_.parse_switch(s.raw);
    if (!sw) return;
    switch_in(sw->next_tid, s.time);
    const auto tid = static_cast<int32_t>(s.tid);
    if (tid <= 0) return;
    running(tid, s.time);  // still out here: its switch in was not reported
    auto state = block_state(sw->prev_state);
    if (!state) {
        tracker_.exited(tid);
        return;
    }
    std::vector<RawFrame> frames;
    unwind(s, event, stacks, frames);
    tracker_.switch_out(tid, s.time, *state, std::move(frames), labels, stacks.last_mark());
}

void BlockedTimeView::filtered_sample(const format::ParsedSample& s, int event, const SampleLabels& labels,
                                      StackBuilder& stacks) {
    // Filters choose blocked threads: a filtered-out task can still wake a kept one, and its
    // switch out can be a kept task's switch in. Only blocks of kept threads are tracked.
    if (event == sched_.wake_event()) {
        wakeup(s, event, labels, stacks);
        return;
    }
    if (event != sched_.switch_event()) return;
    if (auto sw = sched_.parse_switch(s.raw)) switch_in(sw->next_tid, s.time);
}

std::vector<std::string> BlockedTimeView::warnings() const {
    std::vector<std::string> out;
    if (const uint64_t n = tracker_.inferred_ends())
        out.push_back(name() + ": " + std::to_string(n) +
                      " switches back in were missing from the recording (the kernel did not report them; perf "
                      "misses them too); those blocks end at the thread's wakeup, else at its next sign of running");
    return out;
}

void BlockedTimeView::side_record(const perf_event_header& h, std::span<const uint8_t> record, int event,
                                  uint64_t time) {
    if (h.type == PERF_RECORD_EXIT) {
        if (auto exit = format::parse_task(record)) tracker_.exited(static_cast<int32_t>(exit->tid));
        return;
    }
    if (h.type != PERF_RECORD_SWITCH && h.type != PERF_RECORD_SWITCH_CPU_WIDE) return;
    auto sw = format::parse_switch(record);
    if (!sw || sw->out) return;  // the sched_switch sample says more
    if (event < 0 || static_cast<size_t>(event) >= layouts_.size()) return;
    const format::SampleId id = format::parse_sample_id(layouts_[static_cast<size_t>(event)], record);
    if (id.present) switch_in(static_cast<int32_t>(id.tid), time);
}

void BlockedTimeView::finish(uint64_t end_time_ns) {
    for (const Block& b : tracker_.finish(end_time_ns)) add_block(b);
}

void BlockedTimeView::block_frames(const Block& b, std::vector<RawFrame>& out) {
    out.clear();
    if (b.open) out.push_back(builder_.synthetic_frame("[open at end]", FrameKind::OffCpu));
    out.push_back(builder_.synthetic_frame(block_state_frame(b.state), FrameKind::OffCpu));
    out.insert(out.end(), b.frames.begin(), b.frames.end());
}

}  // namespace kiln::analyzer
