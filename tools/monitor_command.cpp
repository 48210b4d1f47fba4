// `kiln monitor`: the flight recorder (recorder/monitor.h), and `kiln monitor --events DIR`,
// which prints its log.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "formats/duration_text.h"
#include "recorder/monitor.h"
#include "recorder/monitor_log.h"
#include "recorder/trigger_spec.h"
#include "tools/command_line_words.h"
#include "tools/commands.h"
#include "tools/record_flags.h"

namespace kiln::tools {

namespace {

struct MonitorFlags {
    RecordFlags record;
    recorder::MonitorOptions opt;
    std::string dir;
    std::vector<std::string> triggers;
    std::string keep = "30s", after = "5s", cooldown = "60s", check_interval = "10ms", status_interval = "10s";
    std::string max_bytes = "256M";
    std::string events_dir;
    bool json = false;
};

Status apply(MonitorFlags& f) {
    KILN_TRY(apply_record_flags(f.record));
    auto& o = f.opt;
    o.record = f.record.opt;
    o.dir = f.dir;
    auto duration = [](const std::string& text, const std::string& flag, uint64_t& out) -> Status {
        auto ns = format::parse_duration_ns(text, flag);
        if (!ns) return ns.error();
        out = *ns;
        return {};
    };
    KILN_TRY(duration(f.keep, "--keep", o.keep_ns));
    KILN_TRY(duration(f.after, "--after", o.after_ns));
    KILN_TRY(duration(f.cooldown, "--cooldown", o.cooldown_ns));
    KILN_TRY(duration(f.check_interval, "--check-interval", o.check_interval_ns));
    KILN_TRY(duration(f.status_interval, "--status-interval", o.status_interval_ns));
    if (o.check_interval_ns < 1'000'000) return make_error("--check-interval " + f.check_interval + ": at least 1ms");
    if (o.keep_ns < 1'000'000'000) return make_error("--keep " + f.keep + ": at least 1s");
    auto bytes = parse_size_bytes(f.max_bytes, "--max-bytes");
    if (!bytes) return bytes.error();
    if (*bytes < (4u << 20)) return make_error("--max-bytes " + f.max_bytes + ": at least 4M (the kernel's symbols alone take ~1M)");
    o.max_bytes = *bytes;
    if (f.triggers.empty()) return make_error("no --trigger given: say when to dump, e.g. --trigger 'load>=8' or --trigger signal");
    for (const auto& t : f.triggers) {
        auto spec = recorder::parse_trigger(t);
        if (!spec) return spec.error();
        o.triggers.push_back(std::move(*spec));
    }
    if (f.dir.empty()) return make_error("-o DIR is required: the directory the dumps and events.jsonl go to");
    return {};
}

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

int print_events(const std::string& dir, bool json) {
    auto events = recorder::read_events(dir + "/events.jsonl");
    if (!events) {
        std::fprintf(stderr, "kiln monitor: %s\n", events.error().message.c_str());
        return 1;
    }
    if (json) {
        nlohmann::ordered_json all = nlohmann::ordered_json::array();
        for (const auto& e : *events) all.push_back(nlohmann::ordered_json::parse(recorder::to_json_line(e)));
        std::printf("%s\n", all.dump(2).c_str());
        return 0;
    }
    std::printf("%-24s %9s  %-24s %8s  %-17s %7s  %9s  %s\n", "time (UTC)", "t (s)", "trigger", "value",
                "load 1/5/15", "running", "size", "file");
    for (const auto& e : *events) {
        const std::string load = fixed(e.load1, 2) + "/" + fixed(e.load5, 2) + "/" + fixed(e.load15, 2);
        const std::string size = e.file.empty() ? "-" : fixed(static_cast<double>(e.bytes) / 1e6, 1) + " MB";
        const std::string file = e.file.empty() ? "(not written: " + e.error + ")" : e.file;
        std::printf("%-24s %9.3f  %-24s %8.2f  %-17s %7d  %9s  %s\n", recorder::iso8601_utc(e.realtime_ns).c_str(),
                    e.t_s, e.trigger.c_str(), e.value, load.c_str(), e.running, size.c_str(), file.c_str());
    }
    if (events->empty()) std::printf("(no triggers logged in %s/events.jsonl)\n", dir.c_str());
    return 0;
}

}  // namespace

RecordRunner add_monitor_command(CLI::App& app, const std::vector<std::string>& argv) {
    auto flags = std::make_shared<MonitorFlags>();
    flags->record.opt.kiln_argv = argv;
    auto* sub = app.add_subcommand("monitor",
                                   "Flight recorder: record into memory and write the seconds around a trigger "
                                   "(load, pressure, CPU share, a signal, an event) as a recording");
    add_record_flags(*sub, flags->record);
    sub->add_option("-o,--output", flags->dir, "Directory for the dumps (kiln-YYYYmmdd-HHMMSS.kiln) and events.jsonl");
    sub->add_option("--trigger", flags->triggers,
                    "When to dump (repeatable, any fires): load>=N (runnable tasks), psi:cpu|memory|io[.full]>=P%, "
                    "cpu:PID>=P% (over the last second), signal (SIGUSR2), event:EVENT[/N] (a tracepoint or uprobe hit N times)");
    sub->add_option("--keep", flags->keep, "History each dump holds before its trigger (default 30s)");
    sub->add_option("--after", flags->after, "... and after it (default 5s)");
    sub->add_option("--cooldown", flags->cooldown, "No new trigger for this long after one (default 60s)");
    sub->add_option("--max-dumps", flags->opt.max_dumps, "Stop after this many dumps (default: no limit)");
    sub->add_option("--max-bytes", flags->max_bytes,
                    "Memory for the history, whichever of it and --keep is hit first (default 256M)");
    sub->add_option("--check-interval", flags->check_interval, "How often load, CPU and event triggers are read (default 10ms)");
    sub->add_option("--status-interval", flags->status_interval, "How often a status line is printed (default 10s; 0: never)");
    sub->add_option("--events", flags->events_dir, "Print the log of DIR/events.jsonl as a table and exit");
    sub->add_flag("--json", flags->json, "With --events: print the log as JSON");
    sub->prefix_command();
    return [flags](const std::vector<std::string>& prepared) {
        if (!flags->events_dir.empty()) return print_events(flags->events_dir, flags->json);
        flags->record.opt.command = command_after_separator(prepared);
        if (auto s = apply(*flags); !s) {
            std::fprintf(stderr, "kiln monitor: %s\n", s.error().message.c_str());
            return 2;
        }
        auto line = [](const std::string& text) {
            std::fprintf(stderr, "%s\n", text.c_str());
            std::fflush(stderr);
        };
        auto note = [](const std::string& text) { std::fprintf(stderr, "kiln: %s\n", text.c_str()); };
        auto summary = recorder::monitor(flags->opt, note, line);
        if (!summary) {
            std::fprintf(stderr, "kiln monitor: %s\n", summary.error().message.c_str());
            return 1;
        }
        std::fprintf(stderr, "kiln monitor: stopped: %llu dumps written, %llu failed\n",
                     static_cast<unsigned long long>(summary->dumps), static_cast<unsigned long long>(summary->failed));
        // Monitoring went on past a dump that could not be written (a full disk), but the run
        // did not do all it was asked: say so to the script or service manager that started it.
        return summary->failed > 0 ? 1 : 0;
    };
}

}  // namespace kiln::tools
