#include "analyzer/timeline/sample_series.h"

#include <algorithm>
#include <cstdlib>

#include "analyzer/views/block_tracker.h"
#include "analyzer/views/cpu_view.h"
#include "analyzer/views/faults_view.h"
#include "formats/perf_records.h"
#include "formats/perf_sample.h"
#include "formats/trace_events.h"

namespace kiln::analyzer {

SampleSeriesCollector::SampleSeriesCollector(const format::RecordingHeader& header, uint64_t start_ns,
                                             uint64_t window_ns, uint64_t end_ns, bool per_process)
    : header_(header), events_(header), start_ns_(start_ns), window_ns_(window_ns), end_ns_(end_ns),
      per_process_(per_process) {
    cpu_events_ = cpu_events(header, events_);
    is_cpu_event_.assign(header.events.size(), false);
    for (int e : cpu_events_) is_cpu_event_[static_cast<size_t>(e)] = true;
    fault_event_ = page_fault_event(header);
    for (size_t e = 0; e < header.events.size(); ++e)
        if (format::trace_event_kind(header.events[e].name) == format::TraceEventKind::kSysEnter)
            syscall_event_ = static_cast<int>(e);
    if (SchedTracepoints::recorded(header)) {
        auto sched = SchedTracepoints::find(header, "timeline");
        if (sched)
            sched_ = std::move(*sched);
        else
            warnings_.push_back("no offcpu series: " + sched.error().message);
    }
}

void SampleSeriesCollector::snapshot(const format::ProcessSnapshot& snapshot) {
    for (const auto& p : snapshot.processes) {
        comms_[p.pid] = p.comm;
        for (size_t i = 0; i < p.tids.size() && i < p.thread_comms.size(); ++i) thread_comms_[p.tids[i]] = p.thread_comms[i];
    }
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
        if (auto c = format::parse_comm(bytes)) {
            if (c->pid == c->tid) comms_[static_cast<int32_t>(c->pid)] = std::string(c->comm);
            thread_comms_[static_cast<int32_t>(c->tid)] = std::string(c->comm);
        }
        return;
    }
    if (sched_ && (h.type == PERF_RECORD_EXIT || h.type == PERF_RECORD_SWITCH || h.type == PERF_RECORD_SWITCH_CPU_WIDE)) {
        side_record(h, bytes, event, time);
        return;
    }
    if (h.type != PERF_RECORD_SAMPLE || event < 0) return;
    const bool cpu = is_cpu_event_[static_cast<size_t>(event)];
    const bool sched = sched_ && (event == sched_->switch_event() || event == sched_->wake_event());
    if (event == syscall_event_) {  // a syscall entered: counted without parsing the sample
        if (time < start_ns_ && start_ns_ == header_.start_time_ns) time = start_ns_;
        if (in_range(time)) add(syscalls_, window(time), 1.0);
        return;
    }
    if (!cpu && event != fault_event_ && !sched) return;
    auto s = format::parse_sample(events_.layout(event), bytes);
    if (!s) {
        if (unparsable_++ == 0) warnings_.push_back("unparsable sample: " + s.error().message);
        return;
    }
    if (sched) {
        sched_sample(*s, event, time);
        return;
    }
    // Events are enabled just before the recording's clock starts: like the other views (whose
    // --time puts them at 0 s), a sample from before the start counts in the first window
    // unless --time chose a later start.
    if (time < start_ns_ && start_ns_ == header_.start_time_ns) time = start_ns_;
    if (!in_range(time)) return;
    const size_t i = window(time);
    if (event == fault_event_) {
        add(faults_, i, static_cast<double>(s->period));
        return;
    }
    add(samples_, i, 1.0);
    if (per_process_ && header_.events[static_cast<size_t>(event)].is_clock) {
        if (i >= kMaxTimelineWindows) return;  // build_timeline refuses that many windows
        oncpu_[static_cast<int32_t>(s->pid)].add(i, static_cast<double>(s->period));
        if (s->tid != 0) {
            ThreadOnCpu& t = thread_oncpu_[static_cast<int32_t>(s->tid)];
            t.pid = static_cast<int32_t>(s->pid);
            t.ns.add(i, static_cast<double>(s->period));
        }
    }
}

// Off-CPU blocks as the offcpu view finds them (blocked_time_view.cpp), through the same
// BlockTracker: switch out to switch in, or to the wakeup or next sign of running when the
// kernel did not report the switch in (it fires in the context of the task switched from).
void SampleSeriesCollector::blocked(std::optional<Block> b) {
    if (b) add_blocked(b->start, b->end);
}

void SampleSeriesCollector::sched_sample(const format::ParsedSample& s, int event, uint64_t time) {
    const auto tid = static_cast<int32_t>(s.tid);
    if (event == sched_->wake_event()) {
        if (tid > 0) blocked(blocks_.ran(tid, time));  // the waker runs
        if (auto wakee = sched_->parse_wakee(s.raw); wakee && blocks_.is_blocked(*wakee))
            blocks_.woken(*wakee, time, std::nullopt);
        return;
    }
    auto sw = sched_->parse_switch(s.raw);
    if (!sw) return;
    if (sw->next_tid > 0) blocked(blocks_.switch_in(sw->next_tid, time));
    if (tid <= 0) return;
    blocked(blocks_.ran(tid, time));
    auto state = block_state(sw->prev_state);
    if (!state) {
        blocks_.exited(tid);  // an exiting thread (X, Z) never comes back
        return;
    }
    blocks_.switch_out(tid, time, *state, {}, SampleLabels{}, 0);
}

void SampleSeriesCollector::side_record(const perf_event_header& h, std::span<const uint8_t> bytes, int event,
                                        uint64_t time) {
    if (h.type == PERF_RECORD_EXIT) {
        if (auto exit = format::parse_task(bytes)) blocks_.exited(static_cast<int32_t>(exit->tid));
        return;
    }
    auto sw = format::parse_switch(bytes);
    if (!sw || sw->out || event < 0) return;  // the sched_switch sample says more
    const format::SampleId id = format::parse_sample_id(events_.layout(event), bytes);
    if (id.present && id.tid > 0) blocked(blocks_.switch_in(static_cast<int32_t>(id.tid), time));
}

// Threads of processes with more than one thread seen on a CPU (a single thread is its
// process's series already), the kMaxThreadSeries busiest: a system-wide recording has
// thousands, and memory is windows x series.
template <typename Make>
void SampleSeriesCollector::add_thread_series(Timeline& out, const Make& make) {
    std::unordered_map<int32_t, int> threads_of;
    for (const auto& [tid, t] : thread_oncpu_) ++threads_of[t.pid];
    auto total_of = [&](const ThreadOnCpu& t) -> std::optional<double> {
        if (threads_of[t.pid] < 2) return std::nullopt;
        return t.ns.total();
    };
    for (int32_t tid : largest_totals(thread_oncpu_, kMaxThreadSeries, total_of))
        out.series.push_back(make("thread." + std::to_string(tid) + ".oncpu", "ns", thread_oncpu_[tid].ns));
}

void SampleSeriesCollector::finish(Timeline& out, uint64_t end_ns) {
    const size_t n = out.windows.count;
    for (const Block& b : blocks_.finish(std::min(end_ns, out.windows.end(n == 0 ? 0 : n - 1))))
        add_blocked(b.start, b.end);
    auto make_series = [n](std::string name, std::string unit, std::vector<double> v) {
        v.resize(n, 0.0);
        return TimelineSeries{std::move(name), std::move(unit), std::move(v)};
    };
    auto make = [n](std::string name, std::string unit, const WindowSums& sums) {
        return TimelineSeries{std::move(name), std::move(unit), sums.dense(n)};
    };
    if (!cpu_events_.empty()) out.series.push_back(make_series("samples", "samples", samples_));
    if (fault_event_ >= 0) out.series.push_back(make_series("faults", "faults", faults_));
    if (sched_) out.series.push_back(make_series("offcpu", "ns", offcpu_));
    if (syscall_event_ >= 0) out.series.push_back(make_series("syscalls", "syscalls", syscalls_));
    for (int32_t pid : largest_totals(oncpu_, kMaxProcessSeries, [](const WindowSums& w) { return std::optional(w.total()); }))
        out.series.push_back(make("process." + std::to_string(pid) + ".oncpu", "ns", oncpu_[pid]));
    if (oncpu_.size() > kMaxProcessSeries)
        out.notes.push_back("process.PID.oncpu: the " + std::to_string(kMaxProcessSeries) + " processes with the most CPU time of the " +
                            std::to_string(oncpu_.size()) + " sampled");
    add_thread_series(out, make);
    // Names for every process series, the counters' ones included (COUNTERS carry no names).
    for (const auto& series : out.series) {
        if (!series.name.starts_with("process.")) continue;
        const int32_t pid = std::atoi(series.name.c_str() + 8);
        if (auto c = comms_.find(pid); c != comms_.end()) out.labels[pid] = c->second;
    }
    for (const auto& series : out.series) {
        if (!series.name.starts_with("thread.")) continue;
        const int32_t tid = std::atoi(series.name.c_str() + 7);
        if (auto c = thread_comms_.find(tid); c != thread_comms_.end()) out.labels[tid] = c->second;
    }
}

}  // namespace kiln::analyzer
