// The cpu view: where the CPU time (or the sampled hardware event) went, per stack.
// Sample types: samples/count, then one per sampling event: cpu/nanoseconds for clock
// events (the sample's period is the time it stands for), else EVENT/count.
#pragma once

#include <memory>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/views/event_columns_view.h"
#include "formats/recording_header.h"
#include "formats/result.h"

namespace kiln::analyzer {

// Events of the recording whose samples measure CPU use (not tracepoints, probes or
// software events such as page-faults, which other views own).
std::vector<int> cpu_events(const format::RecordingHeader& header, const EventTable& events);

class CpuView final : public EventColumnsView {
public:
    static Result<std::unique_ptr<CpuView>> create(const format::RecordingHeader& header, const EventTable& events);

    std::string name() const override { return "cpu"; }

private:
    using EventColumnsView::EventColumnsView;
};

}  // namespace kiln::analyzer
