#include "analyzer/views/wakeup_view.h"

namespace kiln::analyzer {

bool WakeupView::applies(const format::RecordingHeader& header) {
    bool wake = false;
    for (const auto& e : header.events) wake = wake || e.name == "sched:sched_waking" || e.name == "sched:sched_wakeup";
    return wake && SchedTracepoints::recorded(header);
}

Result<std::unique_ptr<WakeupView>> WakeupView::create(const format::RecordingHeader& header,
                                                       const EventTable& events, uint64_t min_block_ns) {
    auto sched = SchedTracepoints::find(header, "wakeup");
    if (!sched) return sched.error();
    if (sched->wake_event() < 0)
        return make_error("the wakeup view needs sched:sched_waking (or sched:sched_wakeup) events besides "
                          "sched:sched_switch; record with `kiln record --off-cpu`");
    std::vector<SampleType> types{{"blocks", "count"}, {"offcpu", "nanoseconds"}};
    return std::unique_ptr<WakeupView>(new WakeupView(*sched, events, std::move(types), min_block_ns, true));
}

void WakeupView::add_block(const Block& b) {
    // Leaf first: the waker's name, its stack from the root down to its leaf, the separator,
    // then the blocked stack under its state frame, which the flame graph draws at the bottom.
    block_frames(b, blocked_);
    frames_.clear();
    if (b.waker) {
        frames_.push_back(builder_.synthetic_frame(b.waker->comm, FrameKind::OffCpu));
        frames_.insert(frames_.end(), b.waker->frames.rbegin(), b.waker->frames.rend());
    } else {
        frames_.push_back(builder_.synthetic_frame("[no waker seen]", FrameKind::OffCpu));
    }
    frames_.push_back(builder_.synthetic_frame("--", FrameKind::OffCpu));
    frames_.insert(frames_.end(), blocked_.begin(), blocked_.end());
    const int64_t values[] = {1, static_cast<int64_t>(b.duration())};
    builder_.add(frames_, b.labels, values, b.unwind);
}

}  // namespace kiln::analyzer
