#include "analyzer/output/trace_report_text.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "analyzer/profile/value_format.h"

namespace kiln::analyzer {

namespace {

std::string ns(uint64_t v) { return format_value(static_cast<double>(v), "nanoseconds", ""); }
std::string bytes(const std::optional<uint64_t>& v) { return v ? format_value(static_cast<double>(*v), "bytes", "") : "-"; }
std::string count(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : "-"; }

template <typename... Args>
std::string fmt(const char* f, Args... args) {
    char buf[512];
    std::snprintf(buf, sizeof buf, f, args...);
    return buf;
}

void notes(const std::vector<std::string>& n, std::ostream& out) {
    for (const auto& s : n) out << "note: " << s << '\n';
}

// CSV: quoted when it holds a comma, quote or newline (comm names are the kernel's bytes).
std::string csv(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace

void write_sched_text(const SchedReport& r, std::ostream& out) {
    out << fmt("%zu threads over %.3f s; wait: runnable (woken or preempted) to running\n", r.threads.size(), r.duration_s);
    out << fmt("%-16s %7s %7s %10s %7s %7s %6s %7s %9s %9s %9s %9s %9s %9s\n", "COMM", "PID", "TID", "RUNTIME", "VOL",
               "INVOL", "MIGR", "WAITS", "WAIT_AVG", "WAIT_P99", "WAIT_MAX", "MAX_AT_S", "LONGEST", "AT_S");
    for (const auto& t : r.threads)
        out << fmt("%-16.16s %7d %7d %10s %7" PRIu64 " %7" PRIu64 " %6" PRIu64 " %7" PRIu64 " %9s %9s %9s %9.3f %9s %9.3f\n",
                   t.comm.c_str(), t.pid, t.tid, ns(t.runtime_ns).c_str(), t.switches_voluntary, t.switches_involuntary,
                   t.migrations, t.wait_count, ns(t.wait_avg_ns).c_str(), ns(t.wait_p99_ns).c_str(),
                   ns(t.wait_max_ns).c_str(), t.wait_max_at_s, ns(t.longest_run_ns).c_str(), t.longest_run_at_s);
    notes(r.notes, out);
}

void write_syscalls_text(const SyscallsReport& r, std::ostream& out) {
    out << fmt("%" PRIu64 " syscalls in %zu processes over %.3f s\n", r.calls, r.processes.size(), r.duration_s);
    for (const auto& p : r.processes) {
        out << fmt("\n%s (%d): %" PRIu64 " calls, %" PRIu64 " errors\n", p.comm.c_str(), p.pid, p.calls, p.errors);
        out << fmt("  %-20s %9s %8s %10s %9s %9s %9s  %s\n", "SYSCALL", "CALLS", "ERRORS", "TOTAL", "AVG", "P99", "MAX",
                   "ERRNO");
        for (const auto& s : p.syscalls) {
            std::string errs;
            for (const auto& [name, n] : s.errors_by_name) errs += (errs.empty() ? "" : " ") + name + ":" + std::to_string(n);
            out << fmt("  %-20s %9" PRIu64 " %8" PRIu64 " %10s %9s %9s %9s  %s\n", s.name.c_str(), s.count, s.errors,
                       ns(s.total_ns).c_str(), ns(s.avg_ns).c_str(), ns(s.p99_ns).c_str(), ns(s.max_ns).c_str(),
                       errs.c_str());
        }
    }
    for (const auto& t : r.last) {
        out << fmt("\nlast %zu syscalls of %s (%d/%d):\n", t.calls.size(), t.comm.c_str(), t.pid, t.tid);
        for (const auto& c : t.calls) {
            std::string ret = c.error.empty() ? std::to_string(c.ret) : std::to_string(c.ret) + " " + c.error;
            out << fmt("  %10.6f %s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
                       ") = %s  %s\n",
                       c.t_s, c.name.c_str(), c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5],
                       ret.c_str(), ns(c.duration_ns).c_str());
        }
    }
    notes(r.notes, out);
}

void write_portrait_text(const PortraitReport& r, std::ostream& out) {
    out << fmt("%zu processes over %.3f s\n", r.processes.size(), r.duration_s);
    for (const auto& p : r.processes) {
        const std::string parent = p.ppid > 0 ? std::to_string(p.ppid) : "?";
        out << fmt("\n%s (pid %d, parent %s): %s — %s\n", p.comm.c_str(), p.pid, parent.c_str(), p.class_name.c_str(),
                   p.class_reason.c_str());
        out << fmt("  cpu %.1f%% (%s)  rss max %s  read %s  written %s  faults %s  syscalls %s (errors %s)  switches %s  "
                   "migrations %s  io wait %s\n",
                   p.cpu_percent, p.cpu_source.empty() ? "none" : p.cpu_source.c_str(), bytes(p.rss_max_bytes).c_str(),
                   bytes(p.read_bytes).c_str(), bytes(p.write_bytes).c_str(), count(p.faults).c_str(),
                   count(p.syscalls).c_str(), count(p.syscall_errors).c_str(), count(p.switches).c_str(),
                   count(p.migrations).c_str(), ns(p.io_wait_ns).c_str());
        for (const auto& e : p.events) out << fmt("  %10.3f s  %-10s %s\n", e.t_s, e.kind.c_str(), e.detail.c_str());
    }
    notes(r.notes, out);
}

void write_sched_csv(const SchedReport& r, std::ostream& out) {
    out << "pid,tid,comm,runtime_ns,switches_voluntary,switches_involuntary,migrations,wait_count,wait_avg_ns,"
           "wait_p99_ns,wait_max_ns,wait_max_at_s,longest_run_ns,longest_run_at_s,sleep_ns,io_wait_ns,runs_inferred\n";
    for (const auto& t : r.threads)
        out << t.pid << ',' << t.tid << ',' << csv(t.comm) << ',' << t.runtime_ns << ',' << t.switches_voluntary << ','
            << t.switches_involuntary << ',' << t.migrations << ',' << t.wait_count << ',' << t.wait_avg_ns << ','
            << t.wait_p99_ns << ',' << t.wait_max_ns << ',' << t.wait_max_at_s << ',' << t.longest_run_ns << ','
            << t.longest_run_at_s << ',' << t.sleep_ns << ',' << t.io_wait_ns << ',' << t.runs_inferred << '\n';
}

void write_syscalls_csv(const SyscallsReport& r, std::ostream& out) {
    out << "pid,comm,syscall,nr,count,errors,total_ns,avg_ns,p99_ns,max_ns,errors_by_errno\n";
    for (const auto& p : r.processes)
        for (const auto& s : p.syscalls) {
            std::string errs;
            for (const auto& [name, n] : s.errors_by_name) errs += (errs.empty() ? "" : " ") + name + ":" + std::to_string(n);
            out << p.pid << ',' << csv(p.comm) << ',' << s.name << ',' << s.nr << ',' << s.count << ',' << s.errors << ','
                << s.total_ns << ',' << s.avg_ns << ',' << s.p99_ns << ',' << s.max_ns << ',' << errs << '\n';
        }
}

void write_portrait_csv(const PortraitReport& r, std::ostream& out) {
    auto opt = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string(); };
    out << "pid,ppid,comm,class,cpu_percent,rss_max_bytes,read_bytes,write_bytes,faults,syscalls,syscall_errors,"
           "switches,migrations,io_wait_ns,events\n";
    for (const auto& p : r.processes)
        out << p.pid << ',' << p.ppid << ',' << csv(p.comm) << ',' << p.class_name << ',' << p.cpu_percent << ','
            << opt(p.rss_max_bytes) << ',' << opt(p.read_bytes) << ',' << opt(p.write_bytes) << ',' << opt(p.faults) << ','
            << opt(p.syscalls) << ',' << opt(p.syscall_errors) << ',' << opt(p.switches) << ',' << opt(p.migrations)
            << ',' << p.io_wait_ns << ',' << p.events.size() << '\n';
}

}  // namespace kiln::analyzer
