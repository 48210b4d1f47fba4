// The offcpu view of a perf.data that `perf record --off-cpu` wrote: perf's BPF program sums
// each thread's off-CPU time per stack and writes it as one offcpu-time sample whose period is
// those nanoseconds (formats/perf_offcpu.h). Each sample adds its period to its stack, unwound
// and named like any sample's, under one state frame, [off-cpu]: perf's samples do not say
// whether the thread slept, waited for I/O or was preempted, nor when (they sit at the end of
// the recording, so they are not put on timelines). The sched_switch-based offcpu view
// (offcpu_view.h) is used whenever sched:sched_switch was recorded.
// Sample types: samples/count (perf's aggregated stacks), offcpu/nanoseconds (default).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/view.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::analyzer {

class PerfOffCpuView final : public View {
public:
    // Fails when the recording has no offcpu-time event.
    static Result<std::unique_ptr<PerfOffCpuView>> create(const format::RecordingHeader& header,
                                                          const EventTable& events, uint64_t min_block_ns);

    std::string name() const override { return "offcpu"; }
    bool wants(int event) const override { return event >= 0 && event == event_; }
    void sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) override;
    std::vector<std::string> warnings() const override;
    ProfileBuilder& builder() override { return builder_; }
    int default_sample_type() const override { return 1; }
    SampleType period_type() const override { return {"offcpu", "nanoseconds"}; }
    int64_t period() const override { return 1; }

private:
    PerfOffCpuView(int event, const perf_event_attr& attr, uint64_t min_block_ns);

    ProfileBuilder builder_;
    int event_;
    uint64_t regs_mask_;
    StackMode mode_;
    uint64_t min_block_ns_;
    uint64_t dropped_short_ = 0;
    std::vector<RawFrame> frames_;
};

}  // namespace kiln::analyzer
