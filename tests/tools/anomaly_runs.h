// The anomalies tests' two steps: record a workload with `kiln record`, and read
// `kiln analyze --view anomalies --json -` of a recording.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/tools/kiln_runner.h"

namespace kiln::test {

inline std::string record_workload(const TempDir& tmp, const std::string& name, const std::string& program,
                                   const std::vector<std::string>& args) {
    const std::string rec = tmp.path(name);
    std::vector<std::string> argv{"record", "-q", "-o", rec, "--", workload(program)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_kiln(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return rec;
}

inline nlohmann::json anomalies_json(const std::string& rec, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"analyze", rec, "--view", "anomalies", "--json", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_kiln(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
}

}  // namespace kiln::test
