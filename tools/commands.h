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

Runner add_record_command(CLI::App& app, const std::vector<std::string>& argv);
Runner add_info_command(CLI::App& app);
Runner add_list_command(CLI::App& app);
Runner add_analyze_command(CLI::App& app);
Runner add_diff_command(CLI::App& app);

// perf lets `-g` stand alone; CLI11 would take the next word as its value. The same for a
// bare `--mem` (all memory events), whose list is only given as --mem=LIST.
std::vector<std::string> normalize_call_graph_flag(std::vector<std::string> args);

}  // namespace kiln::tools
