#include "formats/perf_offcpu.h"

namespace kiln::format {

PerfToolEvent perf_tool_event(std::string_view name, const perf_event_attr& attr) {
    // The name is perf's OFFCPU_EVENT; the type and config are what off_cpu_config() sets, so
    // a user's own event of that name is not mistaken for it.
    if (name == "offcpu-time" && attr.type == PERF_TYPE_SOFTWARE && attr.config == PERF_COUNT_SW_BPF_OUTPUT)
        return attr.sample_type & PERF_SAMPLE_RAW ? PerfToolEvent::kOffCpuTimeEmbedded : PerfToolEvent::kOffCpuTime;
    return PerfToolEvent::kNone;
}

int find_perf_tool_event(const RecordingHeader& header, PerfToolEvent kind) {
    if (kind == PerfToolEvent::kNone) return -1;
    for (size_t i = 0; i < header.events.size(); ++i)
        if (perf_tool_event(header.events[i].name, header.events[i].perf_attr()) == kind) return static_cast<int>(i);
    return -1;
}

}  // namespace kiln::format
