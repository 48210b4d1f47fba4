#include "tools/recording_info.h"

#include <linux/perf_event.h>

#include <cstdio>
#include <ctime>

namespace kiln::tools {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

}  // namespace

std::string sampling_of(const format::EventDescription& e) {
    const perf_event_attr a = e.perf_attr();
    std::string s = a.freq ? std::to_string(a.sample_freq) + " Hz" : "every " + std::to_string(a.sample_period);
    if ((a.sample_type & PERF_SAMPLE_STACK_USER) && a.exclude_callchain_user)
        s += ", dwarf " + std::to_string(a.sample_stack_user) + " bytes";
    else if (a.sample_type & PERF_SAMPLE_CALLCHAIN)
        s += ", fp callchains" + ((a.sample_type & PERF_SAMPLE_STACK_USER)
                                      ? " + " + std::to_string(a.sample_stack_user) + " bytes of stack top"
                                      : std::string());
    return s;
}

std::vector<std::pair<std::string, std::string>> recording_info_rows(const format::RecordingSummary& s,
                                                                     uint16_t major, uint16_t minor) {
    const auto& h = s.header;
    std::vector<std::pair<std::string, std::string>> rows;
    auto add = [&rows](const char* label, const char* format, auto... args) {
        char line[1024];
        std::snprintf(line, sizeof line, format, args...);
        rows.emplace_back(label, line);
    };
    time_t t = static_cast<time_t>(h.start_realtime_ns / 1000000000ull);
    char when[64] = "at an unknown time";  // a perf.data recorded without -k gives no wall clock
    if (tm tmv{}; h.start_realtime_ns != 0 && gmtime_r(&t, &tmv))
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tmv);
    if (h.kiln_version.starts_with("perf.data"))
        add("format", "%s, imported by kiln", h.kiln_version.c_str());
    else
        add("format", "kiln %u.%u (written by kiln %s)", major, minor, h.kiln_version.c_str());
    add("host", "%s (%s, %u CPUs)", h.hostname.c_str(), h.arch.c_str(), h.cpu_count);
    add("kernel", "%s", h.kernel_release.c_str());
    add("recorded", "%s, %.3f s, target %s", when, static_cast<double>(s.duration_ns) / 1e9, h.target.name().c_str());
    rows.emplace_back("command", join(h.command_line));
    for (size_t i = 0; i < h.events.size(); ++i)
        add("event", "%s (%s): %llu samples", h.events[i].name.c_str(), sampling_of(h.events[i]).c_str(),
            static_cast<unsigned long long>(s.samples_per_event[i]));
    add("samples", "%llu (%llu with callchains, %llu with stack copies, %.1f KiB of stack)",
        static_cast<unsigned long long>(s.samples), static_cast<unsigned long long>(s.samples_with_callchain),
        static_cast<unsigned long long>(s.samples_with_stack), static_cast<double>(s.stack_bytes) / 1024);
    add("lost", "%llu", static_cast<unsigned long long>(s.lost));
    add("throttled", "%llu", static_cast<unsigned long long>(s.throttled));
    if (s.stats)
        rows.emplace_back("ended by", format::stop_reason_text(s.stats->stop_reason));
    else
        rows.emplace_back("ended by", "nothing: the file has no STATS chunk "
                                      "(the recorder was killed, or stopped by a write error)");
    const std::string kernel_symbols =
        s.kernel_symbols_whole || s.kernel_symbols_referenced == 0 ? std::string("kernel symbols")
        : s.kernel_symbols > 0 || s.stats ? "kernel symbols (those its samples hit)"
                                          : "kernel symbols (it ended before writing those its samples hit; the recording "
                                            "machine's kiln cache holds the whole table)";
    add("sideband", "%llu %s, %llu perf maps, %llu archived binaries (%.1f MiB)",
        static_cast<unsigned long long>(s.kernel_symbols), kernel_symbols.c_str(), static_cast<unsigned long long>(s.perf_maps),
        static_cast<unsigned long long>(s.archived_binaries), static_cast<double>(s.archived_bytes) / (1 << 20));
    rows.emplace_back("vdso", s.vdso_build_id.empty() ? "not recorded (no sample hit it, or it could not be read): its frames show as [vdso]" : s.vdso_build_id);
    if (s.counters)
        add("counters", "%llu snapshots every %.4g %s, %llu processes, max procs_running %u",
            static_cast<unsigned long long>(s.counters->snapshots),
            static_cast<double>(s.counters->interval_ns) / (s.counters->interval_ns >= 1'000'000'000 ? 1e9 : 1e6),
            s.counters->interval_ns >= 1'000'000'000 ? "s" : "ms",
            static_cast<unsigned long long>(s.counters->processes), s.counters->max_procs_running);
    else
        rows.emplace_back("counters", "none");
    add("processes", "%zu", s.processes.size());
    for (const auto& p : s.processes) {
        add("", "%8d  %-20s %10llu samples  %llu threads", p.pid, p.name.c_str(),
            static_cast<unsigned long long>(p.samples), static_cast<unsigned long long>(p.threads));
        if (!p.namespace_pids.empty())
            rows.back().second.append("  (pid ").append(std::to_string(p.namespace_pids.back())).append(" in its pid namespace)");
    }
    add("binaries", "%zu", s.binaries.size());
    for (const auto& b : s.binaries)
        add("", "%-40s %s", b.build_id.empty() ? "(no build-id)" : b.build_id.c_str(), b.path.c_str());
    return rows;
}

}  // namespace kiln::tools
