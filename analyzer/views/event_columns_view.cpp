#include "analyzer/views/event_columns_view.h"

#include <algorithm>

namespace kiln::analyzer {

namespace {

// The typical time between samples of an event: from its frequency, else from the
// recording's (the first event sampled by frequency: -c N events beside -F ones), else the
// 1 ms of kiln record's default -F 999.
uint64_t typical_interval_ns(const format::RecordingHeader& header, const perf_event_attr& attr) {
    if (attr.freq && attr.sample_freq > 0) return 1000000000 / attr.sample_freq;
    for (const auto& e : header.events) {
        const perf_event_attr a = e.perf_attr();
        if (a.freq && a.sample_freq > 0) return 1000000000 / a.sample_freq;
    }
    return 1000000;
}

}  // namespace

std::vector<SampleType> EventColumnsView::types_of(const std::vector<Column>& columns) {
    std::vector<SampleType> types{{"samples", "count"}};
    for (const auto& c : columns) types.push_back(c.type);
    return types;
}

EventColumnsView::EventColumnsView(const format::RecordingHeader& header, const EventTable& events,
                                   const std::vector<Column>& columns, int64_t period)
    : builder_(types_of(columns)),
      column_of_event_(header.events.size(), -1),
      regs_masks_(header.events.size(), 0),
      modes_(header.events.size(), StackMode::kFramePointer),
      period_(period),
      is_clock_(header.events.size(), 0),
      intervals_(header.events.size(), 0) {
    for (size_t i = 0; i < columns.size(); ++i) {
        const auto e = static_cast<size_t>(columns[i].event);
        const perf_event_attr& a = events.attr(columns[i].event);
        column_of_event_[e] = static_cast<int>(i + 1);
        regs_masks_[e] = a.sample_regs_user;
        modes_[e] = stack_mode(a, header.events[e].name);
        is_clock_[e] = header.events[e].is_clock ? 1 : 0;
        intervals_[e] = typical_interval_ns(header, a);
    }
    values_.assign(builder_.types().size(), 0);
}

std::string EventColumnsView::event_names(const format::RecordingHeader& header) {
    std::string names;
    for (const auto& e : header.events) names += (names.empty() ? "" : ", ") + e.name;
    return names;
}

bool EventColumnsView::wants(int event) const {
    return event >= 0 && static_cast<size_t>(event) < column_of_event_.size() &&
           column_of_event_[static_cast<size_t>(event)] >= 0;
}

void EventColumnsView::sample(const format::ParsedSample& s, int event, const SampleLabels& labels,
                              StackBuilder& stacks) {
    frames_.clear();
    const auto e = static_cast<size_t>(event);
    stacks.frames(s, regs_masks_[e], modes_[e], frames_);
    std::fill(values_.begin(), values_.end(), 0);
    values_[0] = 1;
    values_[static_cast<size_t>(column_of_event_[e])] = static_cast<int64_t>(s.period);
    builder_.add(frames_, labels, values_, stacks.last_mark());
    if (timeline_) timeline_->add(s.time, is_clock_[e] && s.period ? s.period : intervals_[e], labels, frames_);
}

}  // namespace kiln::analyzer
