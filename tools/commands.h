// The verbs of the kiln command line. Each registers its flags on a CLI11 subcommand and
// returns a runner that turns module errors into messages and exit codes. record, info and
// list are in kiln (kiln_main.cpp), analyze and diff in kiln-analyze (kiln_analyze_main.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace kiln::tools {

using Runner = std::function<int()>;

// One-line descriptions of the verbs kiln-analyze runs, for both executables' --help.
inline constexpr const char* kAnalyzeSummary = "Turn a recording into flame graphs, pprof profiles and tables";
inline constexpr const char* kDiffSummary =
    "Compare two profiles (recordings or pprof files): differential flame graph, report, CI gate";

// argv as given (kept in the recording's header); the runner takes the words that
// prepare_command_line() made of it, to find the command after their `--`.
using RecordRunner = std::function<int(const std::vector<std::string>& prepared)>;
RecordRunner add_record_command(CLI::App& app, const std::vector<std::string>& argv);
RecordRunner add_monitor_command(CLI::App& app, const std::vector<std::string>& argv);
Runner add_info_command(CLI::App& app);
Runner add_list_command(CLI::App& app);
Runner add_analyze_command(CLI::App& app);
Runner add_diff_command(CLI::App& app);

}  // namespace kiln::tools
