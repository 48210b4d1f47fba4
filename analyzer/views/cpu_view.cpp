#include "analyzer/views/cpu_view.h"


namespace kiln::analyzer {

std::vector<int> cpu_events(const format::RecordingHeader& header, const EventTable& events) {
    std::vector<int> out;
    for (size_t i = 0; i < header.events.size() && i < events.size(); ++i) {
        const perf_event_attr& a = events.attr(static_cast<int>(i));
        const auto& name = header.events[i].name;
        const bool pmu = a.type == PERF_TYPE_HARDWARE || a.type == PERF_TYPE_HW_CACHE || a.type == PERF_TYPE_RAW ||
                         (a.type >= PERF_TYPE_MAX && name.find("probe") == std::string::npos);
        if (header.events[i].is_clock || pmu) out.push_back(static_cast<int>(i));
    }
    return out;
}

Result<std::unique_ptr<CpuView>> CpuView::create(const format::RecordingHeader& header, const EventTable& events) {
    std::vector<int> chosen = cpu_events(header, events);
    if (chosen.empty())
        return make_error("the cpu view needs a sampling event such as cpu-clock or cycles; this recording has: " +
                          event_names(header));
    std::vector<Column> columns;
    int64_t period = 0;
    size_t clock_events = 0;
    for (int e : chosen) clock_events += header.events[static_cast<size_t>(e)].is_clock ? 1 : 0;
    for (int e : chosen) {
        const auto& desc = header.events[static_cast<size_t>(e)];
        const perf_event_attr& a = events.attr(e);
        if (desc.is_clock)
            columns.push_back({e, {clock_events == 1 ? "cpu" : desc.name, "nanoseconds"}});
        else
            columns.push_back({e, {desc.name, "count"}});
        if (period == 0) {
            if (a.freq && a.sample_freq > 0)
                period = desc.is_clock ? static_cast<int64_t>(1000000000 / a.sample_freq) : 0;
            else
                period = static_cast<int64_t>(a.sample_period);
        }
    }
    return std::unique_ptr<CpuView>(new CpuView(header, events, columns, period));
}

}  // namespace kiln::analyzer
