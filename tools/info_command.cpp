#include <linux/perf_event.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "formats/recording_summary.h"
#include "tools/commands.h"
#include "tools/recording_info.h"

namespace kiln::tools {

namespace {

nlohmann::json to_json(const format::RecordingSummary& s, uint16_t major, uint16_t minor) {
    using nlohmann::json;
    const auto& h = s.header;
    json events = json::array();
    for (size_t i = 0; i < h.events.size(); ++i)
        events.push_back({{"name", h.events[i].name}, {"sampling", sampling_of(h.events[i])},
                          {"samples", s.samples_per_event[i]}, {"ids", h.events[i].ids.size()}});
    json procs = json::array();
    for (const auto& p : s.processes)
        procs.push_back({{"pid", p.pid},
                         {"name", p.name},
                         {"samples", p.samples},
                         {"threads", p.threads},
                         {"namespace_pids", p.namespace_pids}});
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
        {"kernel_symbols_whole", s.kernel_symbols_whole},
        {"perf_maps", s.perf_maps},
        {"archived_binaries", s.archived_binaries},
        {"vdso_build_id", s.vdso_build_id},
        {"archived_bytes", s.archived_bytes},
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
    for (const auto& [label, value] : recording_info_rows(s, major, minor)) {
        if (label.empty()) std::printf("  %s\n", value.c_str());
        else std::printf("%-11s %s\n", (label + ":").c_str(), value.c_str());
    }
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
