// The files of tests/analyzer/golden/: NAME.script and, beside it, the expected text of the
// stages it goes through (NAME.records, NAME.frames, NAME.folded). Paths of the binaries this
// build made appear in them as ${GOLDEN_APP}, ${GOLDEN_OTHER}, ${GOLDEN_APP_NOFP} and
// ${GOLDEN_APP_NOFP_CFI}. KILN_UPDATE_GOLDEN=1 rewrites the expected files instead of comparing.
#pragma once

#include <string>

#include "analyzer/analyze.h"
#include "tests/analyzer/recording_script.h"

namespace kiln::testing {

std::string read_text(const std::string& path);
// NAME.script with the variables replaced by this build's paths.
std::string golden_script(const std::string& name);
// NAME.script written as a recording at path (a gtest failure if it cannot be); facts, when
// given, receives what the script said of its stacks. Returns path.
std::string golden_recording(const std::string& name, const std::string& path, ScriptFacts* facts = nullptr);
// Options that let the analyzer see only what a script names: no system debug files, no
// debuginfod.
analyzer::AnalyzeOptions golden_options();
// This build's paths in text replaced by their variables (for expected text that names them).
std::string with_path_variables(std::string text);
// Expects NAME.EXT to hold actual (a gtest failure naming the file otherwise).
void expect_golden(const std::string& name, const std::string& ext, const std::string& actual);

}  // namespace kiln::testing
