// The wakeup view (offwaketime): off-CPU time of each block attributed to the stack that
// woke the thread, drawn on top of the stack it blocked in. Folded: process;blocked stack
// (root first);[state];--;waker stack (leaf first, as offwaketime draws it);waker thread name.
// Blocks nobody was seen waking end in "--;[no waker seen]".
// Sample types: blocks/count, offcpu/nanoseconds (default).
#pragma once

#include <memory>

#include "analyzer/views/blocked_time_view.h"
#include "formats/result.h"

namespace kiln::analyzer {

class WakeupView final : public BlockedTimeView {
public:
    static Result<std::unique_ptr<WakeupView>> create(const format::RecordingHeader& header, const EventTable& events,
                                                      uint64_t min_block_ns);
    // Whether the recording has sched_switch and a wakeup event (sched_waking or sched_wakeup).
    static bool applies(const format::RecordingHeader& header);

    std::string name() const override { return "wakeup"; }
    int default_sample_type() const override { return 1; }
    SampleType period_type() const override { return {"offcpu", "nanoseconds"}; }
    int64_t period() const override { return 1; }

private:
    using BlockedTimeView::BlockedTimeView;
    void add_block(const Block& b) override;

    std::vector<RawFrame> blocked_;
};

}  // namespace kiln::analyzer
