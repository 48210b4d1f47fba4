#include "analyzer/sched/trace_report.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "analyzer/sched/syscall_names.h"

namespace kiln::analyzer {

namespace {

// Events are enabled just before the recording's clock starts: what comes before is at 0 s,
// as the other views put it.
double seconds(const TraceReportInput& in, uint64_t time) {
    const uint64_t zero = in.header->start_time_ns;
    return time > zero ? static_cast<double>(time - zero) / 1e9 : 0.0;
}

double duration_s(const TraceReportInput& in) {
    return in.end_ns > in.start_ns ? static_cast<double>(in.end_ns - in.start_ns) / 1e9 : 0.0;
}

std::string comm_of(const TraceCollector& c, int32_t pid) {
    auto it = c.processes().find(pid);
    return it == c.processes().end() ? std::string() : it->second.comm;
}

// The row filter of --pid/--tid/--comm (time is the pass's, not the rows').
bool keeps(const TraceReportInput& in, int32_t pid, int32_t tid, const std::string& comm, const std::string& thread_comm) {
    SampleFilter f = in.rows;
    f.start_s.reset();
    f.end_s.reset();
    return f.keeps(pid, tid, comm, thread_comm, 0);
}

// Per process: the first and last counter snapshot in the span, and the largest RSS.
struct CounterSpan {
    const format::ProcessCounters* first = nullptr;
    const format::ProcessCounters* last = nullptr;
    uint64_t first_ns = 0, last_ns = 0, rss_max = 0;
};

std::map<int32_t, CounterSpan> counter_spans(const TraceReportInput& in) {
    std::map<int32_t, CounterSpan> out;
    if (!in.counters) return out;
    for (const auto& snap : *in.counters) {
        if (snap.time_ns < in.start_ns || (in.end_ns && snap.time_ns > in.end_ns)) continue;
        for (const auto& p : snap.processes) {
            CounterSpan& s = out[p.pid];
            if (!s.first) {
                s.first = &p;
                s.first_ns = snap.time_ns;
            }
            s.last = &p;
            s.last_ns = snap.time_ns;
            s.rss_max = std::max(s.rss_max, p.rss_bytes);
        }
    }
    return out;
}

uint64_t delta(uint64_t a, uint64_t b) { return b > a ? b - a : 0; }

}  // namespace

std::string PortraitThresholds::describe() const {
    char text[512];
    std::snprintf(text, sizeof text,
                  "cpu: >= %.0f%% of a CPU; io: >= %.1f MiB/s read+written or >= %.0f%% of the time in I/O wait; "
                  "memory: RSS grew >= %.0f MiB or >= %.0f faults/s; otherwise cpu above %.0f%% of a CPU, else idle; "
                  "when several hold, the one furthest above its threshold",
                  cpu_percent, io_bytes_per_s / (1 << 20), io_wait_share * 100, rss_growth_bytes / (1 << 20),
                  faults_per_s, idle_cpu_percent);
    return text;
}

SchedReport build_sched_report(const TraceReportInput& in) {
    SchedReport r;
    r.duration_s = duration_s(in);
    for (const auto& [tid, t] : in.collector->sched().threads()) {
        if (t.runtime_ns == 0 && t.waits.count() == 0 && t.switches_voluntary + t.switches_involuntary == 0) continue;
        const int32_t pid = t.pid > 0 ? t.pid : tid;
        const std::string pcomm = comm_of(*in.collector, pid);
        if (!keeps(in, pid, tid, pcomm, t.comm)) continue;
        SchedThreadRow row;
        row.pid = pid;
        row.tid = tid;
        row.comm = t.comm.empty() ? pcomm : t.comm;
        row.runtime_ns = t.runtime_ns;
        row.switches_voluntary = t.switches_voluntary;
        row.switches_involuntary = t.switches_involuntary;
        row.migrations = t.migrations();
        row.wait_count = t.waits.count();
        row.wait_avg_ns = t.waits.avg();
        row.wait_p99_ns = t.waits.percentile(0.99);
        row.wait_max_ns = t.waits.max();
        row.wait_max_at_s = t.waits.count() ? seconds(in, t.wait_max_end_ns) : 0;
        row.longest_run_ns = t.longest_run_ns;
        row.longest_run_at_s = t.longest_run_ns ? seconds(in, t.longest_run_start_ns) : 0;
        row.sleep_ns = t.sleep_ns;
        row.io_wait_ns = t.io_wait_ns;
        row.runs_inferred = t.runs_inferred;
        r.threads.push_back(std::move(row));
    }
    std::stable_sort(r.threads.begin(), r.threads.end(),
                     [](const SchedThreadRow& a, const SchedThreadRow& b) { return a.runtime_ns > b.runtime_ns; });
    if (const uint64_t n = in.collector->sched().inferred_runs())
        r.notes.push_back(std::to_string(n) + " runs whose switch in was not recorded start at their thread's first "
                                              "event on that CPU");
    if (const uint64_t n = in.collector->sched().unended_runs())
        r.notes.push_back(std::to_string(n) + " runs whose switch out was never recorded (the kernel reports no events "
                                              "in the context of some tasks) are left out of the run times");
    if (in.header->target != format::TargetKind::kSystemWide && in.collector->switch_in_records() == 0)
        r.notes.push_back("no switch in of a recorded thread was recorded (per task, sched_switch tells only the switch "
                          "out; perf record without --switch-events records no other): run times, longest runs and "
                          "waits are missing; record system-wide (-a, as perf sched record does) or with "
                          "--switch-events");
    if (in.header->target != format::TargetKind::kSystemWide)
        r.notes.push_back("not system-wide (-a): waits count from wakeups and preemptions of the recorded threads; "
                          "migrations are the CPU changes seen at switch-in where sched_migrate_task was not delivered");
    return r;
}

SyscallsReport build_syscalls_report(const TraceReportInput& in) {
    SyscallsReport r;
    r.duration_s = duration_s(in);
    const SyscallNames names(in.header->arch);
    const SyscallTracker& tracker = in.collector->syscalls();
    for (const auto& [pid, proc] : tracker.processes()) {
        const std::string comm = comm_of(*in.collector, pid);
        if (!keeps(in, pid, pid, comm, comm)) continue;
        SyscallProcessRow row;
        row.pid = pid;
        row.comm = comm;
        row.calls = proc.calls;
        row.errors = proc.errors;
        for (const auto& [nr, s] : proc.by_nr) {
            SyscallRow sr;
            sr.nr = nr;
            sr.name = names.name(nr);
            sr.count = s.count;
            sr.errors = s.error_count();
            for (const auto& [err, n] : s.errors) sr.errors_by_name.emplace_back(errno_name(err), n);
            std::stable_sort(sr.errors_by_name.begin(), sr.errors_by_name.end(),
                             [](const auto& a, const auto& b) { return a.second > b.second; });
            sr.total_ns = s.latency.sum();
            sr.avg_ns = s.latency.avg();
            sr.p99_ns = s.latency.percentile(0.99);
            sr.max_ns = s.latency.max();
            row.syscalls.push_back(std::move(sr));
        }
        std::stable_sort(row.syscalls.begin(), row.syscalls.end(),
                         [](const SyscallRow& a, const SyscallRow& b) { return a.total_ns > b.total_ns; });
        r.calls += row.calls;
        r.processes.push_back(std::move(row));
    }
    std::stable_sort(r.processes.begin(), r.processes.end(),
                     [](const SyscallProcessRow& a, const SyscallProcessRow& b) { return a.calls > b.calls; });
    const auto pids = tracker.thread_pids();
    for (const auto& [tid, calls] : tracker.last_calls()) {
        auto p = pids.find(tid);
        const int32_t pid = p == pids.end() ? tid : p->second;
        const std::string comm = comm_of(*in.collector, pid);
        if (!keeps(in, pid, tid, comm, comm)) continue;
        SyscallThreadCalls t;
        t.pid = pid;
        t.tid = tid;
        t.comm = comm;
        for (const auto& c : calls) {
            const int err = syscall_errno(c.ret);
            t.calls.push_back({seconds(in, c.enter_ns), names.name(c.nr), c.args, c.ret, err ? errno_name(err) : "",
                               c.duration_ns});
        }
        r.last.push_back(std::move(t));
    }
    if (!names.known_arch())
        r.notes.push_back("syscall names: no table for architecture '" + in.header->arch + "'; numbers shown");
    if (tracker.unpaired_exits())
        r.notes.push_back(std::to_string(tracker.unpaired_exits()) +
                          " syscall exits without their entry (entered before the span, or a new thread's return from "
                          "clone) are not counted");
    if (tracker.in_flight())
        r.notes.push_back(std::to_string(tracker.in_flight()) +
                          " syscalls had not returned by the end (or never return: exit, exit_group) and are not counted");
    return r;
}

PortraitReport build_portrait_report(const TraceReportInput& in) {
    PortraitReport r;
    r.duration_s = duration_s(in);
    const double span = std::max(r.duration_s, 1e-9);
    const PortraitThresholds& th = r.thresholds;
    const auto counters = counter_spans(in);
    // Per process sums of the sched threads.
    struct SchedSum {
        uint64_t runtime = 0, switches = 0, migrations = 0, io_wait = 0;
        bool any = false;
    };
    std::map<int32_t, SchedSum> sched;
    for (const auto& [tid, t] : in.collector->sched().threads()) {
        SchedSum& s = sched[t.pid > 0 ? t.pid : tid];
        s.runtime += t.runtime_ns;
        s.switches += t.switches_voluntary + t.switches_involuntary;
        s.migrations += t.migrations();
        s.io_wait += t.io_wait_ns;
        s.any = true;
    }
    const bool has_sched = in.collector->has_sched(), has_syscalls = in.collector->has_syscalls();
    for (const auto& [pid, a] : in.collector->processes()) {
        if (pid <= 0 || !keeps(in, pid, pid, a.comm, a.comm)) continue;
        PortraitProcess p;
        p.pid = pid;
        p.ppid = a.ppid;
        p.comm = a.comm;
        auto c = counters.find(pid);
        const bool has_counters = c != counters.end() && c->second.first != c->second.last;
        auto s = sched.find(pid);
        // The switches' run time is exact; the counters' CPU ticks come in 1/100 s steps.
        if (has_sched && s != sched.end()) {
            p.cpu_percent = 100.0 * static_cast<double>(s->second.runtime) / 1e9 / span;
            p.cpu_source = "sched";
        } else if (has_counters) {
            const double ticks = static_cast<double>(delta(c->second.first->cpu_ticks, c->second.last->cpu_ticks));
            const double between = static_cast<double>(c->second.last_ns - c->second.first_ns) / 1e9;
            p.cpu_percent = between > 0 ? 100.0 * ticks / in.ticks_per_second / between : 0;
            p.cpu_source = "counters";
        } else if (a.cpu_ns > 0) {
            p.cpu_percent = 100.0 * static_cast<double>(a.cpu_ns) / 1e9 / span;
            p.cpu_source = "samples";
        }
        if (c != counters.end()) {
            p.rss_max_bytes = c->second.rss_max;
            p.rss_growth_bytes = delta(c->second.first->rss_bytes, c->second.rss_max);
            if (c->second.last->has_io) {
                p.read_bytes = delta(c->second.first->read_bytes, c->second.last->read_bytes);
                p.write_bytes = delta(c->second.first->write_bytes, c->second.last->write_bytes);
            }
            if (!has_sched)
                p.switches = delta(c->second.first->voluntary_switches + c->second.first->involuntary_switches,
                                   c->second.last->voluntary_switches + c->second.last->involuntary_switches);
        }
        if (a.faults > 0) p.faults = a.faults;
        if (has_sched && s != sched.end()) {
            p.switches = s->second.switches;
            p.migrations = s->second.migrations;
            p.io_wait_ns = s->second.io_wait;
        }
        if (has_syscalls) {
            auto sc = in.collector->syscalls().processes().find(pid);
            p.syscalls = sc == in.collector->syscalls().processes().end() ? 0 : sc->second.calls;
            p.syscall_errors = sc == in.collector->syscalls().processes().end() ? 0 : sc->second.errors;
        }
        // The class: the dimension furthest above its threshold.
        const double io_rate = static_cast<double>(p.read_bytes.value_or(0) + p.write_bytes.value_or(0)) / span;
        const double io_wait = static_cast<double>(p.io_wait_ns) / 1e9 / span;
        const double scores[] = {
            p.cpu_percent / th.cpu_percent,
            std::max(io_rate / th.io_bytes_per_s, io_wait / th.io_wait_share),
            std::max(static_cast<double>(p.rss_growth_bytes.value_or(0)) / th.rss_growth_bytes,
                     static_cast<double>(p.faults.value_or(0)) / span / th.faults_per_s),
        };
        const char* classes[] = {"cpu", "io", "memory"};
        const size_t best = static_cast<size_t>(std::max_element(std::begin(scores), std::end(scores)) - scores);
        char reason[160];
        if (scores[best] >= 1.0) {
            p.class_name = classes[best];
            std::snprintf(reason, sizeof reason, "%.1fx the %s threshold", scores[best], classes[best]);
        } else if (p.cpu_percent > th.idle_cpu_percent) {
            p.class_name = "cpu";
            std::snprintf(reason, sizeof reason, "below every threshold, %.1f%% CPU", p.cpu_percent);
        } else {
            p.class_name = "idle";
            std::snprintf(reason, sizeof reason, "%.1f%% CPU, below every threshold", p.cpu_percent);
        }
        p.class_reason = reason;
        for (const auto& m : a.moments) p.events.push_back({seconds(in, m.time_ns), moment_kind_name(m.kind), m.detail, m.value});
        if (a.moments_dropped)
            p.events.push_back({seconds(in, a.moments.back().time_ns), "more",
                                std::to_string(a.moments_dropped) + " more moments not listed",
                                static_cast<int64_t>(a.moments_dropped)});
        // A process seen only in the initial snapshot, never active, says nothing.
        if (p.cpu_percent == 0 && p.events.empty() && !p.syscalls.value_or(0) && a.cpu_samples == 0 && !has_counters)
            continue;
        r.processes.push_back(std::move(p));
    }
    std::stable_sort(r.processes.begin(), r.processes.end(),
                     [](const PortraitProcess& a, const PortraitProcess& b) { return a.cpu_percent > b.cpu_percent; });
    r.notes.push_back("classes: " + th.describe());
    return r;
}

}  // namespace kiln::analyzer
