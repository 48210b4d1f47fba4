// uprobe/uretprobe events end to end: `kiln record -e uprobe:...` counts every call of a
// function of probe_target (3000 from caller_a, 1000 from caller_b), `kiln analyze` and
// `kiln info` show them.
#include <gtest/gtest.h>

#include <map>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Records cmd with the extra record flags, returns kiln record's result.
RunResult record(const std::string& out, const std::vector<std::string>& flags, const std::string& target) {
    std::vector<std::string> argv{kiln_bin(), "record", "-o", out};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back("--");
    argv.push_back(target);
    return run(argv);
}

// `kiln analyze FILE --folded -` as stack → value.
std::map<std::string, double> folded(const std::string& recording) {
    auto a = run({kiln_bin(), "analyze", recording, "--folded", "-"});
    EXPECT_EQ(a.exit_code, 0) << a.err;
    return parse_folded(a.out);
}

double total(const std::map<std::string, double>& stacks) {
    double t = 0;
    for (const auto& [s, v] : stacks) t += v;
    return t;
}

// `kiln info --json` of a recording of one probe event: names it and counts all 4000 hits.
void expect_one_probe_event(const nlohmann::json& info, const std::string& event) {
    ASSERT_EQ(info["events"].size(), 1u);
    EXPECT_EQ(info["events"][0]["name"], event);
    EXPECT_EQ(info["events"][0]["samples"].get<uint64_t>(), 4000u);
}

}  // namespace

TEST(RecordUprobe, EntryProbeCountsEveryCall) {
    TempDir tmp;
    const std::string target = workload("probe_target_fp");
    const std::string event = "uprobe:" + target + ":probed";
    auto r = record(tmp.path("u.kiln"), {"-e", event}, target);
    ASSERT_EQ(r.exit_code, 0) << r.err;

    const auto stacks = folded(tmp.path("u.kiln"));
    EXPECT_EQ(total(stacks), 4000.0);
    for (const auto& [s, v] : stacks) EXPECT_TRUE(ends_with(s, ";probed")) << s << " " << v;

    auto info = info_json(tmp.path("u.kiln"));
    expect_one_probe_event(info, event);
    EXPECT_EQ(info["lost"].get<uint64_t>(), 0u);
    auto text = run({kiln_bin(), "info", tmp.path("u.kiln")});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find(event), std::string::npos) << text.out;
}

TEST(RecordUprobe, ReturnProbeCountsEveryReturnInTheCaller) {
    TempDir tmp;
    const std::string target = workload("probe_target_fp");
    const std::string event = "uretprobe:" + target + ":probed";
    auto r = record(tmp.path("r.kiln"), {"-e", event}, target);
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // A uretprobe sample is taken where probed() returns to: its caller.
    const auto stacks = folded(tmp.path("r.kiln"));
    EXPECT_EQ(total(stacks), 4000.0);
    double a = 0, b = 0;
    for (const auto& [s, v] : stacks) {
        if (ends_with(s, ";caller_a")) a += v;
        else if (ends_with(s, ";caller_b")) b += v;
        else ADD_FAILURE() << "unexpected stack " << s << " " << v;
    }
    EXPECT_EQ(a, 3000.0);
    EXPECT_EQ(b, 1000.0);

    expect_one_probe_event(info_json(tmp.path("r.kiln")), event);
}

TEST(RecordUprobe, RecordsWithEveryCallGraphMode) {
    for (const char* mode : {"fp", "dwarf", "none"}) {
        for (const char* variant : {"probe_target_fp", "probe_target_nofp"}) {
            TempDir tmp;
            const std::string target = workload(variant);
            auto r = record(tmp.path("g.kiln"), {"-g", mode, "-e", "uprobe:" + target + ":probed"}, target);
            ASSERT_EQ(r.exit_code, 0) << mode << " " << variant << ": " << r.err;
            auto info = info_json(tmp.path("g.kiln"));
            // A dwarf stack copy per hit may outrun the ring buffer; what is lost is counted.
            EXPECT_EQ(info["samples"].get<uint64_t>() + info["lost"].get<uint64_t>(), 4000u) << mode << " " << variant;
            EXPECT_GT(info["samples"].get<uint64_t>(), 0u) << mode << " " << variant;
            if (std::string(mode) == "dwarf") {
                EXPECT_EQ(info["samples_with_stack"], info["samples"]) << variant;
            }
        }
    }
}

TEST(RecordUprobe, BadProbesFailWithContext) {
    TempDir tmp;
    const std::string target = workload("probe_target_fp");
    auto r = record(tmp.path("x.kiln"), {"-e", "uprobe:" + target + ":probd"}, target);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("did you mean probed"), std::string::npos) << r.err;
    r = record(tmp.path("x.kiln"), {"-e", "uprobe:/nonexistent/bin:main"}, target);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("/nonexistent/bin"), std::string::npos) << r.err;
}
