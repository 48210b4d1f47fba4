// The offcpu view: where threads waited while off the CPU, per thread and stack, in
// nanoseconds blocked (switch in minus switch out), the stack ending in a frame for the
// state: [sleep], [io] (uninterruptible), [preempted] (runnable, waiting for a CPU) or
// [stopped]; "[open at end]" above it marks a block that had not ended when recording stopped.
// Sample types: blocks/count, offcpu/nanoseconds (default).
#pragma once

#include <memory>

#include "analyzer/views/blocked_time_view.h"
#include "formats/result.h"

namespace kiln::analyzer {

class OffCpuView final : public BlockedTimeView {
public:
    static Result<std::unique_ptr<OffCpuView>> create(const format::RecordingHeader& header, const EventTable& events,
                                                      uint64_t min_block_ns);

    std::string name() const override { return "offcpu"; }
    int default_sample_type() const override { return 1; }
    SampleType period_type() const override { return {"offcpu", "nanoseconds"}; }
    int64_t period() const override { return 1; }

private:
    using BlockedTimeView::BlockedTimeView;
    void add_block(const Block& b) override;
};

}  // namespace kiln::analyzer
