#include "analyzer/views/faults_view.h"

namespace kiln::analyzer {

int page_fault_event(const format::RecordingHeader& header) {
    for (size_t i = 0; i < header.events.size(); ++i)
        if (header.events[i].name == "page-faults") return static_cast<int>(i);
    return -1;
}

Result<std::unique_ptr<FaultsView>> FaultsView::create(const format::RecordingHeader& header, const EventTable& events) {
    const int e = page_fault_event(header);
    if (e < 0 || static_cast<size_t>(e) >= events.size())
        return make_error("the faults view needs the page-faults event (record with `kiln record --mem` or "
                          "--mem=faults); this recording has: " + event_names(header));
    const perf_event_attr& a = events.attr(e);
    const int64_t period = a.freq ? 1 : static_cast<int64_t>(a.sample_period);
    return std::unique_ptr<FaultsView>(new FaultsView(header, events, {{e, {"faults", "count"}}}, period));
}

}  // namespace kiln::analyzer
