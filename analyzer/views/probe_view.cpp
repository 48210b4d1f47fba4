// The probes view: hits of uprobe/uretprobe events per stack.
#include "analyzer/views/probe_view.h"

#include <algorithm>

#include "formats/probe_names.h"

namespace kiln::analyzer {

std::vector<int> probe_events(const format::RecordingHeader& header) {
    std::vector<int> out;
    for (size_t i = 0; i < header.events.size(); ++i) {
        const std::string& name = header.events[i].name;
        if (format::is_probe_name(name) && !format::is_alloc_sampler_marker(name)) out.push_back(static_cast<int>(i));
    }
    return out;
}

Result<std::unique_ptr<ProbeView>> ProbeView::create(const format::RecordingHeader& header, const EventTable& events) {
    std::vector<Column> columns;
    for (int e : probe_events(header))
        if (static_cast<size_t>(e) < events.size()) columns.push_back({e, {header.events[static_cast<size_t>(e)].name, "count"}});
    if (columns.empty()) {
        const bool sampler = std::any_of(header.events.begin(), header.events.end(), [](const auto& e) {
            return format::is_alloc_sampler_marker(e.name);
        });
        if (sampler)
            return make_error("the probes view counts the calls of probed functions; this recording's uprobes are the "
                              "markers of kiln's allocation sampler (--alloc-sample): see the inuse, alloc and allocs views");
        return make_error("the probes view needs uprobe: or uretprobe: events; this recording has: " + event_names(header));
    }
    const perf_event_attr& first = events.attr(columns.front().event);
    const int64_t period = first.freq ? 1 : static_cast<int64_t>(first.sample_period);
    return std::unique_ptr<ProbeView>(new ProbeView(header, events, columns, period));
}

}  // namespace kiln::analyzer
