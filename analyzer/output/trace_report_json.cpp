#include "analyzer/output/trace_report_json.h"

#include <nlohmann/json.hpp>

namespace kiln::analyzer {

namespace {
using json = nlohmann::ordered_json;

// comm names and exec paths are bytes from the kernel: invalid UTF-8 is replaced.
void dump(const json& j, std::ostream& out) { out << j.dump(1, ' ', false, json::error_handler_t::replace) << '\n'; }

template <typename T>
void optional_field(json& j, const char* key, const std::optional<T>& v) {
    if (v)
        j[key] = *v;
    else
        j[key] = nullptr;
}
}  // namespace

void write_sched_json(const SchedReport& r, std::ostream& out) {
    json j;
    j["duration_s"] = r.duration_s;
    auto& threads = j["threads"] = json::array();
    for (const auto& t : r.threads)
        threads.push_back({{"pid", t.pid},
                           {"tid", t.tid},
                           {"comm", t.comm},
                           {"runtime_ns", t.runtime_ns},
                           {"switches_voluntary", t.switches_voluntary},
                           {"switches_involuntary", t.switches_involuntary},
                           {"migrations", t.migrations},
                           {"wait_count", t.wait_count},
                           {"wait_avg_ns", t.wait_avg_ns},
                           {"wait_p99_ns", t.wait_p99_ns},
                           {"wait_max_ns", t.wait_max_ns},
                           {"wait_max_at_s", t.wait_max_at_s},
                           {"longest_run_ns", t.longest_run_ns},
                           {"longest_run_at_s", t.longest_run_at_s},
                           {"sleep_ns", t.sleep_ns},
                           {"io_wait_ns", t.io_wait_ns},
                           {"runs_inferred", t.runs_inferred}});
    j["notes"] = r.notes;
    dump(j, out);
}

void write_syscalls_json(const SyscallsReport& r, std::ostream& out) {
    json j;
    j["duration_s"] = r.duration_s;
    j["calls"] = r.calls;
    auto& procs = j["processes"] = json::array();
    for (const auto& p : r.processes) {
        json calls = json::array();
        for (const auto& s : p.syscalls) {
            json errors = json::object();
            for (const auto& [name, n] : s.errors_by_name) errors[name] = n;
            calls.push_back({{"name", s.name},
                             {"nr", s.nr},
                             {"count", s.count},
                             {"errors", s.errors},
                             {"total_ns", s.total_ns},
                             {"avg_ns", s.avg_ns},
                             {"p99_ns", s.p99_ns},
                             {"max_ns", s.max_ns},
                             {"errors_by_errno", std::move(errors)}});
        }
        procs.push_back({{"pid", p.pid}, {"comm", p.comm}, {"calls", p.calls}, {"errors", p.errors}, {"syscalls", std::move(calls)}});
    }
    if (!r.last.empty()) {
        auto& last = j["last"] = json::array();
        for (const auto& t : r.last) {
            json calls = json::array();
            for (const auto& c : t.calls)
                calls.push_back({{"t_s", c.t_s},
                                 {"name", c.name},
                                 {"args", c.args},
                                 {"ret", c.ret},
                                 {"error", c.error},
                                 {"duration_ns", c.duration_ns}});
            last.push_back({{"pid", t.pid}, {"tid", t.tid}, {"comm", t.comm}, {"calls", std::move(calls)}});
        }
    }
    j["notes"] = r.notes;
    dump(j, out);
}

void write_portrait_json(const PortraitReport& r, std::ostream& out) {
    json j;
    j["duration_s"] = r.duration_s;
    j["thresholds"] = {{"cpu_percent", r.thresholds.cpu_percent},
                       {"io_bytes_per_s", r.thresholds.io_bytes_per_s},
                       {"io_wait_share", r.thresholds.io_wait_share},
                       {"rss_growth_bytes", r.thresholds.rss_growth_bytes},
                       {"faults_per_s", r.thresholds.faults_per_s},
                       {"idle_cpu_percent", r.thresholds.idle_cpu_percent},
                       {"rule", r.thresholds.describe()}};
    auto& procs = j["processes"] = json::array();
    for (const auto& p : r.processes) {
        json e;
        e["pid"] = p.pid;
        e["ppid"] = p.ppid;
        e["comm"] = p.comm;
        e["cpu_percent"] = p.cpu_percent;
        e["cpu_source"] = p.cpu_source;
        optional_field(e, "rss_max_bytes", p.rss_max_bytes);
        optional_field(e, "rss_growth_bytes", p.rss_growth_bytes);
        optional_field(e, "read_bytes", p.read_bytes);
        optional_field(e, "write_bytes", p.write_bytes);
        optional_field(e, "faults", p.faults);
        optional_field(e, "syscalls", p.syscalls);
        optional_field(e, "syscall_errors", p.syscall_errors);
        optional_field(e, "switches", p.switches);
        optional_field(e, "migrations", p.migrations);
        e["io_wait_ns"] = p.io_wait_ns;
        e["class"] = p.class_name;
        e["class_reason"] = p.class_reason;
        auto& events = e["events"] = json::array();
        for (const auto& ev : p.events)
            events.push_back({{"t_s", ev.t_s}, {"kind", ev.kind}, {"detail", ev.detail}, {"value", ev.value}});
        procs.push_back(std::move(e));
    }
    j["notes"] = r.notes;
    dump(j, out);
}

}  // namespace kiln::analyzer
