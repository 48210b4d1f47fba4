// The words of a kiln command line, checked and put in the shape CLI11 parses without
// surprises, before CLI11 sees them:
//   - unknown options are errors, never ignored (DESIGN.md): a mistyped `--off-cpus` must not
//     give a recording without off-CPU data. Left alone, CLI11 would hand an unknown option of
//     `kiln record` to the command as its first word (prefix_command);
//   - the command of `kiln record` starts at `--` or, without one, at the first word that is
//     neither an option nor an option's value; a `--` is put there, so that the command's own
//     options (`sh -c ...`) are never read as kiln's;
//   - perf lets `-g` stand alone (CLI11 would take the next word as its mode): a bare `-g`
//     gets `fp`; a bare `--mem` means all of it (its list only ever follows '=').
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::tools {

// args as main() got them (args[0] is the program); app with its verbs and their options
// declared. Returns the words to parse, or an error naming the first unknown option with close
// names of the verb's options and where to see them all.
Result<std::vector<std::string>> prepare_command_line(const CLI::App& app, const std::vector<std::string>& args);

// prepare_command_line() then CLI11's parse, with the errors of both printed: returns the exit
// code when the program is to stop here (2 for a usage error, 0 for --help or --version), or
// nothing with prepared set to the words parsed.
std::optional<int> parse_command_line(CLI::App& app, const std::vector<std::string>& args,
                                      std::vector<std::string>& prepared);

// The command in prepared words: what follows their first `--` (empty when there is none).
std::vector<std::string> command_after_separator(const std::vector<std::string>& prepared);

}  // namespace kiln::tools
