#include <cstdio>
#include <memory>

#include "recorder/recorder.h"
#include "tools/command_line_words.h"
#include "tools/commands.h"
#include "tools/record_flags.h"

namespace kiln::tools {

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
    sub->prefix_command();  // everything from the command on belongs to the command (command_line_words.h)
    return [flags](const std::vector<std::string>& prepared) {
        flags->opt.command = command_after_separator(prepared);
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
