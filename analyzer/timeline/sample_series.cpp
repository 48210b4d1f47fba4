#include "analyzer/timeline/sample_series.h"

#include <algorithm>

#include "analyzer/views/cpu_view.h"
#include "analyzer/views/faults_view.h"
#include "formats/perf_records.h"
#include "formats/perf_sample.h"

namespace kiln::analyzer {

SampleSeriesCollector::SampleSeriesCollector(const format::RecordingHeader& header, uint64_t start_ns,
                                             uint64_t window_ns, uint64_t end_ns)
    : header_(header), events_(header), start_ns_(start_ns), window_ns_(window_ns), end_ns_(end_ns) {
    cpu_events_ = cpu_events(header, events_);
    is_cpu_event_.assign(header.events.size(), false);
    for (int e : cpu_events_) is_cpu_event_[static_cast<size_t>(e)] = true;
    fault_event_ = page_fault_event(header);
    if (SchedTracepoints::recorded(header)) {
        auto sched = SchedTracepoints::find(header, "timeline");
        if (sched)
            sched_ = std::move(*sched);
        else
            warnings_.push_back("no offcpu series: " + sched.error().message);
    }
}

void SampleSeriesCollector::snapshot(const format::ProcessSnapshot& snapshot) {
    for (const auto& p : snapshot.processes) comms_[p.pid] = p.comm;
}

void SampleSeriesCollector::add(std::vector<double>& series, size_t i, double value) {
    if (i >= kMaxTimelineWindows) return;  // build_timeline refuses that many windows
    if (series.size() <= i) series.resize(i + 1, 0.0);
    series[i] += value;
}

void SampleSeriesCollector::add_blocked(uint64_t from, uint64_t to) {
    from = std::max(from, start_ns_);
    if (end_ns_ != 0) to = std::min(to, end_ns_);
    while (from < to) {
        const size_t i = window(from);
        if (i >= kMaxTimelineWindows) return;
        const uint64_t window_end = start_ns_ + (i + 1) * window_ns_;
        const uint64_t upto = std::min(to, window_end);
        add(offcpu_, i, static_cast<double>(upto - from));
        from = upto;
    }
}

void SampleSeriesCollector::record(const perf_event_header& h, std::span<const uint8_t> bytes, int event,
                                   uint64_t time) {
    last_time_ = std::max(last_time_, time);
    if (h.type == PERF_RECORD_COMM) {
        if (auto c = format::parse_comm(bytes); c && c->pid == c->tid) comms_[static_cast<int32_t>(c->pid)] = std::string(c->comm);
        return;
    }
    if (h.type != PERF_RECORD_SAMPLE || event < 0) return;
    const bool cpu = is_cpu_event_[static_cast<size_t>(event)];
    const bool sched_switch = sched_ && event == sched_->switch_event();
    if (!cpu && event != fault_event_ && !sched_switch) return;
    auto s = format::parse_sample(events_.layout(event), bytes);
    if (!s) {
        if (unparsable_++ == 0) warnings_.push_back("unparsable sample: " + s.error().message);
        return;
    }
    if (sched_switch) {
        // Blocks are cut to the windows below, so a block that started before them still counts.
        auto f = sched_->parse_switch(s->raw);
        if (!f) return;
        if (auto out = switched_out_.find(f->next_tid); out != switched_out_.end()) {
            add_blocked(out->second, time);
            switched_out_.erase(out);
        }
        if (f->prev_tid != 0) switched_out_[f->prev_tid] = time;
        return;
    }
    if (!in_range(time)) return;
    const size_t i = window(time);
    if (event == fault_event_) {
        add(faults_, i, static_cast<double>(s->period));
        return;
    }
    add(samples_, i, 1.0);
    if (header_.events[static_cast<size_t>(event)].is_clock)
        add(oncpu_[static_cast<int32_t>(s->pid)], i, static_cast<double>(s->period));
}

void SampleSeriesCollector::finish(Timeline& out) {
    const size_t n = out.windows.count;
    const uint64_t end = out.windows.end(n == 0 ? 0 : n - 1);
    for (const auto& [tid, from] : switched_out_) add_blocked(from, std::max(from, end));
    switched_out_.clear();
    auto make = [n](std::string name, std::string unit, std::vector<double> v) {
        v.resize(n, 0.0);
        return TimelineSeries{std::move(name), std::move(unit), std::move(v)};
    };
    if (!cpu_events_.empty()) out.series.push_back(make("samples", "samples", samples_));
    if (fault_event_ >= 0) out.series.push_back(make("faults", "faults", faults_));
    if (sched_) out.series.push_back(make("offcpu", "ns", offcpu_));
    for (auto& [pid, ns] : oncpu_) {
        out.series.push_back(make("process." + std::to_string(pid) + ".oncpu", "ns", ns));
        if (auto c = comms_.find(pid); c != comms_.end()) out.labels[pid] = c->second;
    }
}

}  // namespace kiln::analyzer
