#include <cstdio>
#include <memory>

#include "pmu/stale_probe_groups.h"
#include "recorder/recorder.h"
#include "tools/command_line_words.h"
#include "tools/commands.h"
#include "tools/record_flags.h"

namespace kiln::tools {

namespace {

// kiln record --cleanup: the uprobe groups of recorders no longer running (pmu/stale_probe_groups.h).
int cleanup_stale_probes() {
    auto cleaned = pmu::remove_stale_probe_groups();
    if (!cleaned) {
        std::fprintf(stderr, "kiln record --cleanup: %s\n", cleaned.error().message.c_str());
        return 1;
    }
    for (const auto& line : pmu::describe(*cleaned)) std::fprintf(stderr, "kiln: %s\n", line.c_str());
    if (cleaned->removed.empty() && cleaned->failures.empty())
        std::fprintf(stderr, "kiln: no uprobes of dead recorders in tracefs (%zu groups of running recorders kept)\n",
                     cleaned->kept_running);
    return cleaned->failures.empty() ? 0 : 1;
}

}  // namespace

RecordRunner add_record_command(CLI::App& app, const std::vector<std::string>& argv) {
    auto flags = std::make_shared<RecordFlags>();
    flags->opt.kiln_argv = argv;
    auto* sub = app.add_subcommand("record", "Record samples of a command, processes, threads or the whole machine");
    auto& o = flags->opt;
    add_record_flags(*sub, *flags);
    sub->add_option("-o,--output", o.output, "Output file (default kiln.data; an existing one is kept as .old; - for standard output)");
    sub->add_flag("-q,--quiet", o.quiet, "Print no summary line");
    sub->add_option("--switch-output", flags->switch_output,
                    "Write a new complete recording every DURATION (e.g. 60s) or SIZE (e.g. 100M), each named "
                    "after -o with its start time (kiln-YYYYmmdd-HHMMSS.data)");
    sub->add_option("--max-files", o.max_files, "With --switch-output: keep only the newest N files");
    sub->add_flag("--archive", o.archive,
                  "Keep the binaries the recorded processes mapped in the recording, to analyze it on a machine "
                  "without them (as perf archive)");
    sub->add_flag("--cleanup", flags->cleanup,
                  "Remove the uprobes that recorders killed with SIGKILL left in tracefs (every recording does "
                  "this too) and exit");
    sub->prefix_command();  // everything from the command on belongs to the command (command_line_words.h)
    return [flags](const std::vector<std::string>& prepared) {
        if (flags->cleanup) return cleanup_stale_probes();
        flags->opt.command = command_after_separator(prepared);
        if (flags->opt.archive && !flags->switch_output.empty()) {
            std::fprintf(stderr, "kiln record: --archive keeps binaries in one recording; it does not go with --switch-output\n");
            return 2;
        }
        if (auto s = apply_switch_output(*flags); !s) {
            std::fprintf(stderr, "kiln record: %s\n", s.error().message.c_str());
            return 2;
        }
        if (auto s = apply_record_flags(*flags); !s) {
            std::fprintf(stderr, "kiln record: %s\n", s.error().message.c_str());
            return 2;
        }
        auto summary = recorder::record(flags->opt, [](const std::string& note) {
            std::fprintf(stderr, "kiln: %s\n", note.c_str());
        });
        if (!summary) {
            std::fprintf(stderr, "kiln record: %s\n", summary.error().message.c_str());
            return 1;
        }
        if (!flags->opt.quiet) std::fprintf(stderr, "%s\n", recorder::summary_line(*summary).c_str());
        return 0;
    };
}

}  // namespace kiln::tools
