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
    if (chosen.empty()) {
        std::string names;
        for (const auto& e : header.events) names += (names.empty() ? "" : ", ") + e.name;
        return make_error("the cpu view needs a sampling event such as cpu-clock or cycles; this recording has: " +
                          names);
    }
    std::vector<SampleType> types{{"samples", "count"}};
    std::vector<int> column(header.events.size(), -1);
    std::vector<uint64_t> masks(header.events.size(), 0);
    std::vector<bool> dwarf(header.events.size(), false);
    int64_t period = 0;
    size_t clock_events = 0;
    for (int e : chosen) clock_events += header.events[static_cast<size_t>(e)].is_clock ? 1 : 0;
    for (int e : chosen) {
        const auto& desc = header.events[static_cast<size_t>(e)];
        const perf_event_attr& a = events.attr(e);
        column[static_cast<size_t>(e)] = static_cast<int>(types.size());
        masks[static_cast<size_t>(e)] = a.sample_regs_user;
        dwarf[static_cast<size_t>(e)] = (a.sample_type & PERF_SAMPLE_STACK_USER) != 0;
        if (desc.is_clock)
            types.push_back({clock_events == 1 ? "cpu" : desc.name, "nanoseconds"});
        else
            types.push_back({desc.name, "count"});
        if (period == 0) {
            if (a.freq && a.sample_freq > 0)
                period = desc.is_clock ? static_cast<int64_t>(1000000000 / a.sample_freq) : 0;
            else
                period = static_cast<int64_t>(a.sample_period);
        }
    }
    return std::unique_ptr<CpuView>(new CpuView(std::move(types), std::move(column), std::move(masks), std::move(dwarf), period));
}

CpuView::CpuView(std::vector<SampleType> types, std::vector<int> column_of_event, std::vector<uint64_t> regs_masks,
                 std::vector<bool> dwarf, int64_t period)
    : builder_(std::move(types)),
      column_of_event_(std::move(column_of_event)),
      regs_masks_(std::move(regs_masks)),
      dwarf_(std::move(dwarf)),
      period_(period) {
    values_.assign(builder_.types().size(), 0);
}

bool CpuView::wants(int event) const {
    return event >= 0 && static_cast<size_t>(event) < column_of_event_.size() &&
           column_of_event_[static_cast<size_t>(event)] >= 0;
}

void CpuView::sample(const format::ParsedSample& s, int event, const SampleLabels& labels, StackBuilder& stacks) {
    frames_.clear();
    const auto e = static_cast<size_t>(event);
    stacks.frames(s, regs_masks_[e], dwarf_[e], frames_);
    std::fill(values_.begin(), values_.end(), 0);
    values_[0] = 1;
    values_[static_cast<size_t>(column_of_event_[static_cast<size_t>(event)])] = static_cast<int64_t>(s.period);
    builder_.add(frames_, labels, values_, stacks.last_mark());
}

}  // namespace kiln::analyzer
