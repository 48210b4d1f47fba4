#include <linux/perf_event.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "formats/recording_summary.h"
#include "tools/commands.h"

namespace kiln::tools {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

std::string sampling_of(const format::EventDescription& e) {
    const perf_event_attr a = e.perf_attr();
    std::string s = a.freq ? std::to_string(a.sample_freq) + " Hz" : "every " + std::to_string(a.sample_period);
    if (a.sample_type & PERF_SAMPLE_STACK_USER) s += ", dwarf " + std::to_string(a.sample_stack_user) + " bytes";
    else if (a.sample_type & PERF_SAMPLE_CALLCHAIN) s += ", fp callchains";
    return s;
}

nlohmann::json to_json(const format::RecordingSummary& s, uint16_t major, uint16_t minor) {
    using nlohmann::json;
    const auto& h = s.header;
    json events = json::array();
    for (size_t i = 0; i < h.events.size(); ++i)
        events.push_back({{"name", h.events[i].name}, {"sampling", sampling_of(h.events[i])},
                          {"samples", s.samples_per_event[i]}, {"ids", h.events[i].ids.size()}});
    json procs = json::array();
    for (const auto& p : s.processes)
        procs.push_back({{"pid", p.pid}, {"name", p.name}, {"samples", p.samples}, {"threads", p.threads}});
    json bins = json::array();
    for (const auto& b : s.binaries) bins.push_back({{"path", b.path}, {"build_id", b.build_id}});
    json j = {
        {"format_version", std::to_string(major) + "." + std::to_string(minor)},
        {"kiln_version", h.kiln_version},
        {"host", h.hostname},
        {"kernel", h.kernel_release},
        {"arch", h.arch},
        {"target", h.target.name()},
        {"command_line", h.command_line},
        {"start_realtime_ns", h.start_realtime_ns},
        {"duration_ns", s.duration_ns},
        {"samples", s.samples},
        {"lost", s.lost},
        {"throttled", s.throttled},
        {"samples_with_callchain", s.samples_with_callchain},
        {"samples_with_stack", s.samples_with_stack},
        {"stack_bytes", s.stack_bytes},
        {"kernel_symbols", s.kernel_symbols},
        {"perf_maps", s.perf_maps},
        {"complete", s.stats.has_value()},
        {"torn", s.torn},
        {"events", events},
        {"processes", procs},
        {"binaries", bins},
        {"warnings", s.warnings},
    };
    if (s.stats) {
        j["exit_status"] = s.stats->exit_status;
        j["stopped_by"] = format::stop_reason_text(s.stats->stop_reason);
    }
    if (s.counters)
        j["counters"] = {{"snapshots", s.counters->snapshots},
                         {"interval_ns", s.counters->interval_ns},
                         {"processes", s.counters->processes},
                         {"max_procs_running", s.counters->max_procs_running}};
    return j;
}

void print_text(const format::RecordingSummary& s, uint16_t major, uint16_t minor) {
    const auto& h = s.header;
    time_t t = static_cast<time_t>(h.start_realtime_ns / 1000000000ull);
    char when[64] = "?";
    if (tm tmv{}; gmtime_r(&t, &tmv)) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tmv);
    std::printf("format:     kiln %u.%u (written by kiln %s)\n", major, minor, h.kiln_version.c_str());
    std::printf("host:       %s (%s, %u CPUs)\n", h.hostname.c_str(), h.arch.c_str(), h.cpu_count);
    std::printf("kernel:     %s\n", h.kernel_release.c_str());
    std::printf("recorded:   %s, %.3f s, target %s\n", when, static_cast<double>(s.duration_ns) / 1e9,
                h.target.name().c_str());
    std::printf("command:    %s\n", join(h.command_line).c_str());
    for (size_t i = 0; i < h.events.size(); ++i)
        std::printf("event:      %s (%s): %llu samples\n", h.events[i].name.c_str(), sampling_of(h.events[i]).c_str(),
                    static_cast<unsigned long long>(s.samples_per_event[i]));
    std::printf("samples:    %llu (%llu with callchains, %llu with stack copies, %.1f KiB of stack)\n",
                static_cast<unsigned long long>(s.samples), static_cast<unsigned long long>(s.samples_with_callchain),
                static_cast<unsigned long long>(s.samples_with_stack), static_cast<double>(s.stack_bytes) / 1024);
    std::printf("lost:       %llu\n", static_cast<unsigned long long>(s.lost));
    std::printf("throttled:  %llu\n", static_cast<unsigned long long>(s.throttled));
    if (s.stats) std::printf("ended by:   %s\n", format::stop_reason_text(s.stats->stop_reason));
    else std::printf("ended by:   nothing: the file has no STATS chunk (the recorder was killed)\n");
    std::printf("sideband:   %llu kernel symbols, %llu perf maps\n", static_cast<unsigned long long>(s.kernel_symbols),
                static_cast<unsigned long long>(s.perf_maps));
    if (s.counters)
        std::printf("counters:   %llu snapshots every %.4g %s, %llu processes, max procs_running %u\n",
                    static_cast<unsigned long long>(s.counters->snapshots),
                    static_cast<double>(s.counters->interval_ns) / (s.counters->interval_ns >= 1'000'000'000 ? 1e9 : 1e6),
                    s.counters->interval_ns >= 1'000'000'000 ? "s" : "ms",
                    static_cast<unsigned long long>(s.counters->processes), s.counters->max_procs_running);
    else
        std::printf("counters:   none\n");
    std::printf("processes:  %zu\n", s.processes.size());
    for (const auto& p : s.processes)
        std::printf("  %8d  %-20s %10llu samples  %llu threads\n", p.pid, p.name.c_str(),
                    static_cast<unsigned long long>(p.samples), static_cast<unsigned long long>(p.threads));
    std::printf("binaries:   %zu\n", s.binaries.size());
    for (const auto& b : s.binaries)
        std::printf("  %-40s %s\n", b.build_id.empty() ? "(no build-id)" : b.build_id.c_str(), b.path.c_str());
    for (const auto& w : s.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

}  // namespace

Runner add_info_command(CLI::App& app) {
    struct Flags {
        std::string file = "kiln.data";
        bool json = false;
    };
    auto f = std::make_shared<Flags>();
    auto* sub = app.add_subcommand("info", "Describe a recording: events, samples, losses, processes, binaries");
    sub->add_flag("--json", f->json, "Print JSON for machines");
    sub->add_option("file", f->file, "Recording (default kiln.data)");
    return [f]() {
        auto reader = format::RecordingReader::open(f->file);
        if (!reader) {
            std::fprintf(stderr, "kiln info: %s\n", reader.error().message.c_str());
            return 1;
        }
        auto s = format::summarize(**reader);
        if (!s) {
            std::fprintf(stderr, "kiln info: %s\n", s.error().message.c_str());
            return 1;
        }
        if (f->json) {
            std::printf("%s\n", to_json(*s, (*reader)->version_major(), (*reader)->version_minor()).dump(2).c_str());
            for (const auto& w : s->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        } else {
            print_text(*s, (*reader)->version_major(), (*reader)->version_minor());
        }
        return 0;
    };
}


}  // namespace kiln::tools
