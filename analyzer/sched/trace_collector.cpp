#include "analyzer/sched/trace_collector.h"

#include <algorithm>

#include "analyzer/views/cpu_view.h"
#include "analyzer/views/faults_view.h"
#include "formats/perf_records.h"
#include "formats/perf_sample.h"

namespace kiln::analyzer {

using format::TraceEventKind;

const char* moment_kind_name(ProcessMoment::Kind kind) {
    switch (kind) {
        case ProcessMoment::Kind::kFork: return "fork";
        case ProcessMoment::Kind::kExec: return "exec";
        case ProcessMoment::Kind::kExit: return "exit";
        case ProcessMoment::Kind::kLongBlock: return "long_block";
    }
    return "?";
}

Result<std::unique_ptr<TraceCollector>> TraceCollector::create(const format::RecordingHeader& header,
                                                               const TraceOptions& options) {
    auto decoder = format::TraceEventDecoder::create(header);
    if (!decoder) return decoder.error();
    return std::unique_ptr<TraceCollector>(new TraceCollector(header, std::move(*decoder), options));
}

TraceCollector::TraceCollector(const format::RecordingHeader& header, format::TraceEventDecoder decoder,
                               const TraceOptions& options)
    : header_(header),
      events_(header),
      decoder_(std::move(decoder)),
      sched_(options.start_ns ? options.start_ns : header.start_time_ns, options.long_block_ns),
      syscalls_(options.last_syscalls) {
    cpu_events_ = cpu_events(header, events_);
    is_cpu_event_.assign(header.events.size(), false);
    for (int e : cpu_events_) is_cpu_event_[static_cast<size_t>(e)] = true;
    fault_event_ = page_fault_event(header);
    system_wide_ = header.target == format::TargetKind::kSystemWide;
}

ProcessActivity& TraceCollector::process(int32_t pid) {
    ProcessActivity& p = processes_[pid];
    p.pid = pid;
    return p;
}

void TraceCollector::moment(int32_t pid, ProcessMoment m) {
    ProcessActivity& p = process(pid);
    if (p.moments.size() >= kMaxMoments) {
        ++p.moments_dropped;
        return;
    }
    p.moments.push_back(std::move(m));
}

void TraceCollector::thread_of(int32_t pid, int32_t tid) {
    if (pid <= 0 || tid <= 0) return;
    pid_of_tid_[tid] = pid;
    sched_.set_pid(tid, pid);
}

void TraceCollector::snapshot(const format::ProcessSnapshot& snapshot) {
    for (const auto& p : snapshot.processes) {
        ProcessActivity& a = process(p.pid);
        if (a.comm.empty()) a.comm = p.comm;
        if (a.ppid == 0) a.ppid = p.ppid;
        for (size_t i = 0; i < p.tids.size(); ++i) {
            thread_of(p.pid, p.tids[i]);
            if (i < p.thread_comms.size()) sched_.set_comm(p.tids[i], p.thread_comms[i]);
        }
    }
}

void TraceCollector::record(const perf_event_header& h, std::span<const uint8_t> bytes, int event, uint64_t time) {
    last_time_ = std::max(last_time_, time);
    if (h.type != PERF_RECORD_SAMPLE) {
        side_record(h, bytes, event, time);
        return;
    }
    if (event < 0) return;
    const bool traced = decoder_.kind(event) != TraceEventKind::kOther;
    const bool counted = is_cpu_event_[static_cast<size_t>(event)] || event == fault_event_;
    // Other events are read only as signs of their thread running (sched_stat_runtime ...).
    if (!traced && !counted && !has_sched()) return;
    auto s = format::parse_sample(events_.layout(event), bytes);
    if (!s) {
        if (unparsable_++ == 0) first_error_ = s.error().message;
        return;
    }
    thread_of(static_cast<int32_t>(s->pid), static_cast<int32_t>(s->tid));
    // Any event but a switch (whose task is leaving) says its thread runs on its CPU.
    if (has_sched() && decoder_.kind(event) != TraceEventKind::kSchedSwitch &&
        (events_.layout(event).sample_type & PERF_SAMPLE_CPU))
        sched_.running(static_cast<int32_t>(s->tid), time, static_cast<int32_t>(s->cpu));
    if (traced)
        trace_sample(*s, event, time);
    else if (counted)
        sample(*s, event, time);
}

void TraceCollector::sample(const format::ParsedSample& s, int event, uint64_t) {
    if (s.pid == 0) return;  // the idle task
    ProcessActivity& p = process(static_cast<int32_t>(s.pid));
    if (event == fault_event_) {
        p.faults += s.period;
        return;
    }
    ++p.cpu_samples;
    if (header_.events[static_cast<size_t>(event)].is_clock) p.cpu_ns += s.period;
}

void TraceCollector::trace_sample(const format::ParsedSample& s, int event, uint64_t time) {
    const auto pid = static_cast<int32_t>(s.pid), tid = static_cast<int32_t>(s.tid);
    const auto cpu = static_cast<int32_t>(s.cpu);
    bool decoded = true;
    switch (decoder_.kind(event)) {
        case TraceEventKind::kSchedSwitch:
            if (auto sw = decoder_.sched_switch(event, s.raw)) {
                sched_.set_comm(sw->prev_tid, sw->prev_comm);
                sched_.set_comm(sw->next_tid, sw->next_comm);
                sched_.switch_out(sw->prev_tid, time, cpu, sw->prev_state);
                // Recorded per task, the next task is mostly one not recorded: the recorded
                // threads' switches in come as PERF_RECORD_SWITCH (side_record).
                if (system_wide_) sched_.switch_in(sw->next_tid, time, cpu);
            } else {
                decoded = false;
            }
            break;
        case TraceEventKind::kSchedWaking:
        case TraceEventKind::kSchedWakeup:
        case TraceEventKind::kSchedWakeupNew:
            if (auto w = decoder_.sched_wake(event, s.raw)) {
                sched_.set_comm(w->tid, w->comm);
                sched_.woken(w->tid, time);
            } else {
                decoded = false;
            }
            break;
        case TraceEventKind::kSchedMigrate:
            if (auto m = decoder_.sched_migrate(event, s.raw))
                sched_.migrated(m->tid);
            else
                decoded = false;
            break;
        case TraceEventKind::kSchedExec:
            if (auto e = decoder_.sched_exec(event, s.raw)) {
                moment(pid, {time, ProcessMoment::Kind::kExec, tid, std::string(e->filename), 0});
            } else {
                decoded = false;
            }
            break;
        case TraceEventKind::kSchedExit:
            if (auto e = decoder_.sched_exit(event, s.raw))
                thread_exited(pid, e->tid, time, "status unknown (killed by a signal?)");
            else
                decoded = false;
            break;
        case TraceEventKind::kExitGroup:
            if (auto status = decoder_.exit_status(event, s.raw))
                process(pid).exit_status = *status;
            else
                decoded = false;
            break;
        case TraceEventKind::kSysEnter:
            if (auto e = decoder_.sys_enter(event, s.raw))
                syscalls_.enter(pid, tid, time, e->nr, e->args);
            else
                decoded = false;
            break;
        case TraceEventKind::kSysExit:
            if (auto e = decoder_.sys_exit(event, s.raw))
                syscalls_.exit(pid, tid, time, e->nr, e->ret);
            else
                decoded = false;
            break;
        case TraceEventKind::kSchedFork:  // PERF_RECORD_FORK says more (process or thread)
        case TraceEventKind::kOther: break;
    }
    if (!decoded) ++undecodable_;
}

// A thread ended (sched_process_exit, or PERF_RECORD_EXIT where that was not recorded); the
// process's exit moment when it is the leader, with exit_group's status where seen.
void TraceCollector::thread_exited(int32_t pid, int32_t tid, uint64_t time, const char* unknown_status) {
    sched_.exited(tid, time);
    syscalls_.thread_exited(tid);
    ProcessActivity& p = process(pid);
    if (tid != pid || p.exited) return;
    p.exited = true;
    const int64_t status = p.exit_status.value_or(-1);
    moment(pid, {time, ProcessMoment::Kind::kExit, tid, status >= 0 ? "status " + std::to_string(status) : unknown_status,
                 status});
}

void TraceCollector::side_record(const perf_event_header& h, std::span<const uint8_t> bytes, int event, uint64_t time) {
    switch (h.type) {
        case PERF_RECORD_COMM: {
            auto c = format::parse_comm(bytes);
            if (!c) return;
            const auto pid = static_cast<int32_t>(c->pid), tid = static_cast<int32_t>(c->tid);
            thread_of(pid, tid);
            sched_.set_comm(tid, c->comm);
            if (pid == tid) process(pid).comm = std::string(c->comm);
            // Without sched_process_exec (no --sched), the exec is told by the comm record.
            if (c->exec && !decoder_.has(TraceEventKind::kSchedExec))
                moment(pid, {time, ProcessMoment::Kind::kExec, tid, std::string(c->comm), 0});
            return;
        }
        case PERF_RECORD_FORK: {
            auto f = format::parse_task(bytes);
            if (!f) return;
            const auto pid = static_cast<int32_t>(f->pid), ppid = static_cast<int32_t>(f->ppid);
            thread_of(pid, static_cast<int32_t>(f->tid));
            if (pid != ppid) {  // a new process, not a thread
                ProcessActivity& child = process(pid);
                child.ppid = ppid;
                if (child.comm.empty()) child.comm = process(ppid).comm;
                moment(ppid, {time, ProcessMoment::Kind::kFork, static_cast<int32_t>(f->ptid),
                              "child " + std::to_string(pid), pid});
            }
            return;
        }
        case PERF_RECORD_EXIT: {
            auto x = format::parse_task(bytes);
            if (!x) return;
            thread_exited(static_cast<int32_t>(x->pid), static_cast<int32_t>(x->tid), time, "status not recorded");
            return;
        }
        case PERF_RECORD_SWITCH:
        case PERF_RECORD_SWITCH_CPU_WIDE: {
            // Per-task recordings: the switch in (the sched_switch sample told the switch out).
            if (event < 0 || !has_sched()) return;
            auto sw = format::parse_switch(bytes);
            if (!sw || sw->out) return;
            const format::SampleId id = format::parse_sample_id(events_.layout(event), bytes);
            if (!id.present || id.tid == 0) return;
            thread_of(static_cast<int32_t>(id.pid), static_cast<int32_t>(id.tid));
            ++switch_in_records_;
            sched_.switch_in(static_cast<int32_t>(id.tid), time, static_cast<int32_t>(id.cpu));
            return;
        }
        default: return;
    }
}

void TraceCollector::finish(uint64_t end_ns) {
    sched_.finish(end_ns);
    syscalls_.finish();
    for (const auto& [tid, t] : sched_.threads()) {
        if (t.comm.empty()) continue;
        auto pid_it = pid_of_tid_.find(tid);
        const int32_t pid = pid_it == pid_of_tid_.end() ? t.pid : pid_it->second;
        if (pid <= 0) continue;
        ProcessActivity& p = process(pid);
        if (p.comm.empty() && tid == pid) p.comm = t.comm;
        for (const LongBlock& b : t.long_blocks)
            moment(pid, {b.start_ns, ProcessMoment::Kind::kLongBlock, tid,
                         std::string(b.io ? "I/O wait" : "sleep") + " of " + std::to_string(b.duration_ns / 1'000'000) +
                             " ms (tid " + std::to_string(tid) + ")",
                         static_cast<int64_t>(b.duration_ns)});
    }
    for (auto& [pid, p] : processes_)
        std::stable_sort(p.moments.begin(), p.moments.end(),
                         [](const ProcessMoment& a, const ProcessMoment& b) { return a.time_ns < b.time_ns; });
}

std::vector<std::string> TraceCollector::warnings() const {
    std::vector<std::string> w;
    if (unparsable_) w.push_back(std::to_string(unparsable_) + " samples could not be parsed (first: " + first_error_ + ")");
    if (undecodable_)
        w.push_back(std::to_string(undecodable_) + " scheduler or syscall tracepoint payloads were too short to decode");
    return w;
}

}  // namespace kiln::analyzer
