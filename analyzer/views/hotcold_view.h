// The hotcold view: on-CPU time (CPU clock samples, each worth its period in nanoseconds)
// and off-CPU time (blocks, as in the offcpu view) of the same threads in one profile. Off-CPU
// stacks end in their state frame ([sleep], [io], [preempted] ...), on-CPU ones in the code
// that ran; flame graphs colour off-CPU frames blue.
// Sample types: cpu, offcpu and wall (their sum, the default), all nanoseconds.
#pragma once

#include <memory>
#include <vector>

#include "analyzer/views/blocked_time_view.h"
#include "formats/result.h"

namespace kiln::analyzer {

class HotColdView final : public BlockedTimeView {
public:
    static Result<std::unique_ptr<HotColdView>> create(const format::RecordingHeader& header,
                                                       const EventTable& events, uint64_t min_block_ns);
    // Whether the recording has what the view needs: a CPU clock event and sched_switch.
    static bool applies(const format::RecordingHeader& header, const EventTable& events);

    std::string name() const override { return "hotcold"; }
    bool wants(int event) const override;
    void sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) override;
    int default_sample_type() const override { return 2; }
    SampleType period_type() const override { return {"wall", "nanoseconds"}; }
    int64_t period() const override { return period_; }

private:
    HotColdView(const SchedTracepoints& sched, const EventTable& events, uint64_t min_block_ns, int cpu_event,
                int64_t period);
    void add_block(const Block& b) override;

    int cpu_event_;
    int64_t period_;
};

}  // namespace kiln::analyzer
