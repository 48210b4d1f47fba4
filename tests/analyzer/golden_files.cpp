#include "tests/analyzer/golden_files.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace kiln::testing {

namespace {

constexpr std::pair<const char*, const char*> kVariables[] = {
    {"${GOLDEN_APP_NOFP_CFI}", GOLDEN_APP_NOFP_CFI},  // before GOLDEN_APP_NOFP, which it extends
    {"${GOLDEN_APP_NOFP}", GOLDEN_APP_NOFP},
    {"${GOLDEN_APP}", GOLDEN_APP},
    {"${GOLDEN_OTHER}", GOLDEN_OTHER},
};

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
}

}  // namespace

std::string read_text(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string golden_script(const std::string& name) {
    std::string text = read_text(std::string(GOLDEN_DIR) + "/" + name + ".script");
    for (const auto& [var, path] : kVariables) replace_all(text, var, path);
    return text;
}

std::string golden_recording(const std::string& name, const std::string& path, ScriptFacts* facts) {
    Status st = write_recording_from_script(golden_script(name), path, facts);
    EXPECT_TRUE(st.ok()) << name << ".script: " << (st.ok() ? "" : st.error().message);
    return path;
}

analyzer::AnalyzeOptions golden_options() {
    analyzer::AnalyzeOptions o;
    o.locator.debug_dirs.clear();
    o.locator.use_debuginfod = false;
    return o;
}

std::string with_path_variables(std::string text) {
    for (const auto& [var, path] : kVariables) replace_all(text, path, var);
    return text;
}

void expect_golden(const std::string& name, const std::string& ext, const std::string& actual) {
    const std::string path = std::string(GOLDEN_DIR) + "/" + name + "." + ext;
    if (std::getenv("KILN_UPDATE_GOLDEN")) {
        std::ofstream(path) << actual;
        return;
    }
    EXPECT_EQ(read_text(path), actual) << "golden " << path << " differs (KILN_UPDATE_GOLDEN=1 regenerates it)";
}

}  // namespace kiln::testing
