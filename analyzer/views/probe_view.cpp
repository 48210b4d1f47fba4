// The probes view: hits of uprobe/uretprobe events per stack.
#include "analyzer/views/probe_view.h"

#include <algorithm>

namespace kiln::analyzer {

std::vector<int> probe_events(const format::RecordingHeader& header) {
    std::vector<int> out;
    for (size_t i = 0; i < header.events.size(); ++i) {
        const std::string& name = header.events[i].name;
        if (name.starts_with("uprobe:") || name.starts_with("uretprobe:")) out.push_back(static_cast<int>(i));
    }
    return out;
}

Result<std::unique_ptr<ProbeView>> ProbeView::create(const format::RecordingHeader& header, const EventTable& events) {
    std::vector<int> chosen;
    for (int e : probe_events(header))
        if (static_cast<size_t>(e) < events.size()) chosen.push_back(e);
    if (chosen.empty()) {
        std::string names;
        for (const auto& e : header.events) names += (names.empty() ? "" : ", ") + e.name;
        return make_error("the probes view needs uprobe: or uretprobe: events; this recording has: " + names);
    }
    std::vector<SampleType> types{{"samples", "count"}};
    std::vector<int> column(header.events.size(), -1);
    std::vector<uint64_t> masks(header.events.size(), 0);
    std::vector<bool> dwarf(header.events.size(), false);
    for (int e : chosen) {
        const perf_event_attr& a = events.attr(e);
        column[static_cast<size_t>(e)] = static_cast<int>(types.size());
        masks[static_cast<size_t>(e)] = a.sample_regs_user;
        dwarf[static_cast<size_t>(e)] = (a.sample_type & PERF_SAMPLE_STACK_USER) != 0;
        types.push_back({header.events[static_cast<size_t>(e)].name, "count"});
    }
    const perf_event_attr& first = events.attr(chosen.front());
    const int64_t period = first.freq ? 1 : static_cast<int64_t>(first.sample_period);
    return std::unique_ptr<ProbeView>(new ProbeView(std::move(types), std::move(column), std::move(masks), std::move(dwarf), period));
}

ProbeView::ProbeView(std::vector<SampleType> types, std::vector<int> column_of_event, std::vector<uint64_t> regs_masks,
                     std::vector<bool> dwarf, int64_t period)
    : builder_(std::move(types)),
      column_of_event_(std::move(column_of_event)),
      regs_masks_(std::move(regs_masks)),
      dwarf_(std::move(dwarf)),
      period_(period) {
    values_.assign(builder_.types().size(), 0);
}

bool ProbeView::wants(int event) const {
    return event >= 0 && static_cast<size_t>(event) < column_of_event_.size() &&
           column_of_event_[static_cast<size_t>(event)] >= 0;
}

void ProbeView::sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) {
    frames_.clear();
    const auto e = static_cast<size_t>(event);
    stacks.frames(s, regs_masks_[e], dwarf_[e], frames_);
    std::fill(values_.begin(), values_.end(), 0);
    values_[0] = 1;
    values_[static_cast<size_t>(column_of_event_[e])] = static_cast<int64_t>(s.period);
    builder_.add(frames_, labels, values_, stacks.last_mark());
}

}  // namespace kiln::analyzer
