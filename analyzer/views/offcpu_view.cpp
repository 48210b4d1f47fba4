#include "analyzer/views/offcpu_view.h"

namespace kiln::analyzer {

Result<std::unique_ptr<OffCpuView>> OffCpuView::create(const format::RecordingHeader& header,
                                                       const EventTable& events, uint64_t min_block_ns) {
    auto sched = SchedTracepoints::find(header, "offcpu");
    if (!sched) return sched.error();
    std::vector<SampleType> types{{"blocks", "count"}, {"offcpu", "nanoseconds"}};
    return std::unique_ptr<OffCpuView>(new OffCpuView(*sched, events, std::move(types), min_block_ns, false));
}

void OffCpuView::add_block(const Block& b) {
    block_frames(b, frames_);
    const int64_t values[] = {1, static_cast<int64_t>(b.duration())};
    builder_.add(frames_, b.labels, values, b.unwind);
}

}  // namespace kiln::analyzer
