#include "analyzer/views/perf_offcpu_view.h"

#include "formats/perf_offcpu.h"

namespace kiln::analyzer {

Result<std::unique_ptr<PerfOffCpuView>> PerfOffCpuView::create(const format::RecordingHeader& header,
                                                               const EventTable& events, uint64_t min_block_ns) {
    const int e = format::find_perf_tool_event(header, format::PerfToolEvent::kOffCpuTime);
    if (e < 0 || static_cast<size_t>(e) >= events.size())
        return make_error("the offcpu view needs perf record --off-cpu's offcpu-time event");
    return std::unique_ptr<PerfOffCpuView>(new PerfOffCpuView(e, events.attr(e), min_block_ns));
}

PerfOffCpuView::PerfOffCpuView(int event, const perf_event_attr& attr, uint64_t min_block_ns)
    : builder_({{"samples", "count"}, {"offcpu", "nanoseconds"}}),
      event_(event),
      regs_mask_(attr.sample_regs_user),
      mode_(stack_mode(attr, "")),
      min_block_ns_(min_block_ns) {}

void PerfOffCpuView::sample(const format::ParsedSample& s, int, const SampleLabels& labels, StackBuilder& stacks) {
    // A sample is a sum of blocks, not one: --min-block can only drop whole sums.
    if (s.period < min_block_ns_) {
        ++dropped_short_;
        return;
    }
    frames_.clear();
    stacks.frames(s, regs_mask_, mode_, frames_);
    frames_.insert(frames_.begin(), builder_.synthetic_frame("[off-cpu]", FrameKind::OffCpu));
    const int64_t values[] = {1, static_cast<int64_t>(s.period)};
    builder_.add(frames_, labels, values, stacks.last_mark());
}

std::vector<std::string> PerfOffCpuView::warnings() const {
    std::vector<std::string> out{
        "offcpu: from perf record --off-cpu's offcpu-time samples: each is a thread's total off-CPU time with "
        "one stack, summed by perf's BPF program over the recording; perf does not record the state (sleep, io, "
        "preempted), so every stack ends in [off-cpu], and not when it blocked"};
    if (dropped_short_)
        out.push_back("offcpu: --min-block dropped " + std::to_string(dropped_short_) +
                      " stacks whose summed off-CPU time is shorter (perf's samples are sums, not single blocks)");
    return out;
}

}  // namespace kiln::analyzer
