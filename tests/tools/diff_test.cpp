// `kiln diff` end to end on real recordings of the diff_twin workload: a build whose
// render_page does twice the work must fail the gate and be named; recordings of one binary,
// and builds with other compiler flags, must pass it. pprof inputs (kiln's, and the same
// re-encoded by Go's pprof) behave like recordings.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

constexpr const char* kSeconds = "1.2";

// User space only, as the README's CI job records: interrupts that land in the workload while
// the machine is busy (a CI run once saw softirqs grow from 0.08% to 1.6% between two runs of
// one binary) are the machine's, not the build's.
std::string record(const TempDir& tmp, const std::string& name, const std::string& workload_name) {
    auto r = run({kiln_bin(), "record", "-e", "cpu-clock:u", "-F", "999", "-g", "fp", "-o", tmp.path(name), "--",
                  workload(workload_name), kSeconds});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return tmp.path(name);
}

RunResult diff(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kiln_bin(), "diff"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

nlohmann::json json_of(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

// A function's entry in the JSON report's list of every function (null if absent).
nlohmann::json function_in(const nlohmann::json& report, const std::string& name) {
    for (const auto& f : report["functions"])
        if (f["name"] == name) return f;
    return nullptr;
}

bool listed(const nlohmann::json& list, const std::string& name) {
    for (const auto& f : list)
        if (f["name"] == name) return true;
    return false;
}

// The gate at 10% between base and new: exit status, and the JSON report.
struct GateRun {
    RunResult r;
    nlohmann::json report;
};
GateRun gate(const TempDir& tmp, const std::vector<std::string>& inputs, const std::string& tag) {
    std::vector<std::string> args = inputs;
    for (const char* a : {"--fail-above", "10", "--report"}) args.push_back(a);
    args.push_back(tmp.path(tag + ".json"));
    GateRun g{diff(args), nullptr};
    if (std::filesystem::exists(tmp.path(tag + ".json"))) g.report = json_of(tmp.path(tag + ".json"));
    return g;
}

void print_render(const nlohmann::json& report, const std::string& what) {
    const auto f = function_in(report, "render_page");
    if (f.is_null()) return;
    std::printf("%s: render_page total share %.4f -> %.4f (%+.1f%%), p_adjusted %.3g\n", what.c_str(),
                f["total"]["before"].get<double>(), f["total"]["after"].get<double>(),
                f["total"]["relative_percent"].is_null() ? INFINITY : f["total"]["relative_percent"].get<double>(),
                f["total"]["p_adjusted"].get<double>());
}

}  // namespace

TEST(Diff, HeavierTwinFailsTheGateAndIsNamed) {
    TempDir tmp;
    const std::string base = record(tmp, "base.kiln", "diff_twin");
    const std::string heavy = record(tmp, "heavy.kiln", "diff_twin_heavy");
    auto r = diff({base, heavy, "--fail-above", "10", "--report", tmp.path("r.md"), "--svg", tmp.path("d.svg"),
                   "--pprof", tmp.path("d.pb.gz")});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string md = read_text(tmp.path("r.md"));
    EXPECT_NE(md.find("**Gate failed**"), std::string::npos) << md;
    const size_t regressions = md.find("### Regressions"), improvements = md.find("### Improvements");
    const size_t named = md.find("`render_page`", regressions);
    EXPECT_TRUE(named != std::string::npos && named < improvements) << md;
    EXPECT_EQ(r.out, md) << "stdout carries the Markdown report";

    auto g = gate(tmp, {base, heavy}, "heavy");
    EXPECT_EQ(g.r.exit_code, 1) << g.r.err;
    ASSERT_FALSE(g.report.is_null());
    print_render(g.report, "base vs heavy");
    EXPECT_EQ(g.report["gate"]["failed"], true);
    EXPECT_EQ(g.report["gate"]["culprits"], nlohmann::json::array({"render_page"})) << g.report.dump(1);
    ASSERT_TRUE(listed(g.report["regressions"], "render_page"));
    const auto rp = function_in(g.report, "render_page");
    // One stage of three (1/3) becomes two of four (1/2): +50% of its share.
    EXPECT_NEAR(rp["total"]["before"].get<double>(), 1.0 / 3, 0.05);
    EXPECT_NEAR(rp["total"]["after"].get<double>(), 0.5, 0.05);
    EXPECT_LT(rp["total"]["p_adjusted"].get<double>(), 1e-6);
    // The other stages lose share (1/3 → 1/4 each; at ~1200 samples not always significant).
    for (const char* other : {"parse_input", "compress_output"}) {
        const auto e = function_in(g.report, other);
        ASSERT_FALSE(e.is_null()) << other;
        EXPECT_LT(e["total"]["after"].get<double>(), e["total"]["before"].get<double>()) << other;
        EXPECT_FALSE(listed(g.report["regressions"], other)) << other;
    }

    // The differential flame graph: well formed, render_page red with before and after shown.
    EXPECT_EQ(run({"/usr/bin/xmllint", "--noout", tmp.path("d.svg")}).exit_code, 0);
    const std::string svg = read_text(tmp.path("d.svg"));
    const size_t title = svg.find("<title>render_page (");
    ASSERT_NE(title, std::string::npos);
    EXPECT_NE(svg.substr(title, 120).find("; before 3"), std::string::npos) << svg.substr(title, 120);
    EXPECT_NE(svg.find("fill=\"#ff", title), std::string::npos);
    // The pprof diff reads in go tool pprof, render_page gaining and the others losing.
    setenv("HOME", tmp.dir().c_str(), 1);
    auto top = run({"/usr/bin/go", "tool", "pprof", "-top", "-symbolize=none", tmp.path("d.pb.gz")});
    ASSERT_EQ(top.exit_code, 0) << top.err;
    std::istringstream lines(top.out);
    double render = 0, parse = 0;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream w(line);
        std::string flat;
        w >> flat;
        const double v = std::atof(flat.c_str());
        if (line.ends_with(" render_page")) render = v;
        if (line.ends_with(" parse_input")) parse = v;
    }
    EXPECT_GT(render, 0) << top.out;
    EXPECT_LT(parse, 0) << top.out;
}

TEST(Diff, SameBinaryPassesTheGateRepeatedlyAlsoPooled) {
    TempDir tmp;
    std::vector<std::string> a, b;
    for (int i = 0; i < 3; ++i) {
        const std::string n = std::to_string(i);  // (not "a" + to_string(i): GCC 12 -Wrestrict false positive)
        a.push_back(record(tmp, "a" + n + ".kiln", "diff_twin"));
        b.push_back(record(tmp, "b" + n + ".kiln", "diff_twin"));
        auto g = gate(tmp, {a.back(), b.back()}, "same" + std::to_string(i));
        EXPECT_EQ(g.r.exit_code, 0) << g.r.out << g.r.err;
        ASSERT_FALSE(g.report.is_null());
        print_render(g.report, "same binary, pair " + std::to_string(i));
        EXPECT_EQ(g.report["gate"]["failed"], false);
        EXPECT_EQ(g.report["regressions"].size(), 0u) << g.report["regressions"].dump(1);
        const auto rp = function_in(g.report, "render_page");
        ASSERT_FALSE(rp.is_null());
        EXPECT_NEAR(rp["total"]["before"].get<double>(), 1.0 / 3, 0.05);
        EXPECT_NEAR(rp["total"]["after"].get<double>(), 1.0 / 3, 0.05);
    }
    // Three runs a side, pooled: still quiet, the spread between runs taken into account.
    auto g = gate(tmp, {"--base", a[0], a[1], a[2], "--new", b[0], b[1], b[2]}, "pooled");
    EXPECT_EQ(g.r.exit_code, 0) << g.r.out << g.r.err;
    ASSERT_FALSE(g.report.is_null());
    print_render(g.report, "same binary, 3 runs pooled per side");
    EXPECT_EQ(g.report["base"]["sources"].size(), 3u);
    EXPECT_EQ(g.report["regressions"].size(), 0u);
    EXPECT_NE(g.report["method"].get<std::string>().find("Welch"), std::string::npos);
    // ...and a heavier NEW pooled over two runs against them still fails.
    const std::string h1 = record(tmp, "h1.kiln", "diff_twin_heavy"), h2 = record(tmp, "h2.kiln", "diff_twin_heavy");
    g = gate(tmp, {"--base", a[0], a[1], a[2], "--new", h1, h2}, "pooled_heavy");
    EXPECT_EQ(g.r.exit_code, 1) << g.r.out << g.r.err;
    ASSERT_FALSE(g.report.is_null());
    print_render(g.report, "pooled base vs pooled heavy");
    EXPECT_EQ(g.report["gate"]["culprits"], nlohmann::json::array({"render_page"}));
}

TEST(Diff, PprofFilesBehaveLikeRecordingsAndGoReencodedOnesToo) {
    TempDir tmp;
    const std::vector<std::pair<std::string, std::string>> recs{
        {"base", "diff_twin"}, {"base2", "diff_twin"}, {"heavy", "diff_twin_heavy"}};
    for (const auto& [name, w] : recs) {
        const std::string rec = record(tmp, name + ".kiln", w);
        auto r = run({kiln_bin(), "analyze", rec, "--pprof", tmp.path(name + ".pb.gz")});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    auto g = gate(tmp, {tmp.path("base.pb.gz"), tmp.path("heavy.pb.gz")}, "pprof_heavy");
    EXPECT_EQ(g.r.exit_code, 1) << g.r.err;
    print_render(g.report, "pprof base vs heavy");
    EXPECT_EQ(g.report["gate"]["culprits"], nlohmann::json::array({"render_page"}));
    EXPECT_EQ(g.report["type"]["type"], "cpu");
    g = gate(tmp, {tmp.path("base.pb.gz"), tmp.path("base2.pb.gz")}, "pprof_same");
    EXPECT_EQ(g.r.exit_code, 0) << g.r.out << g.r.err;
    print_render(g.report, "pprof same binary");
    // A recording against a pprof file of the same view compares too.
    g = gate(tmp, {tmp.path("base.kiln"), tmp.path("heavy.pb.gz")}, "mixed");
    EXPECT_EQ(g.r.exit_code, 1) << g.r.err;

    // Go's pprof writes the profile anew (its own string table, ids, default type handling).
    setenv("HOME", tmp.dir().c_str(), 1);
    for (const char* name : {"base", "heavy"}) {
        auto r = run({"/usr/bin/go", "tool", "pprof", "-proto", "-symbolize=none", "-output",
                      tmp.path(std::string("go_") + name + ".pb.gz"), tmp.path(std::string(name) + ".pb.gz")});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    g = gate(tmp, {tmp.path("go_base.pb.gz"), tmp.path("go_heavy.pb.gz")}, "go");
    EXPECT_EQ(g.r.exit_code, 1) << g.r.err;
    print_render(g.report, "go-reencoded base vs heavy");
    EXPECT_EQ(g.report["gate"]["culprits"], nlohmann::json::array({"render_page"}));
    g = gate(tmp, {tmp.path("go_base.pb.gz"), tmp.path("base2.pb.gz")}, "go_same");
    EXPECT_EQ(g.r.exit_code, 0) << g.r.out << g.r.err;
}

TEST(Diff, BuildsWithOtherCompilerFlagsDiffByName) {
    TempDir tmp;
    const std::string o2 = record(tmp, "o2.kiln", "diff_twin");
    const std::string o1 = record(tmp, "o1.kiln", "diff_twin_o1");
    auto g = gate(tmp, {o2, o1}, "flags");
    EXPECT_EQ(g.r.exit_code, 0) << g.r.out << g.r.err;
    ASSERT_FALSE(g.report.is_null());
    print_render(g.report, "-O2 PIE vs -O1 no-PIE");
    // (Frame-pointer stacks skip the caller of a leaf, run, as perf's do: see analyze_test.)
    for (const char* f : {"parse_input", "render_page", "compress_output", "main", "__libc_start_call_main"}) {
        const auto e = function_in(g.report, f);
        ASSERT_FALSE(e.is_null()) << f;
        EXPECT_GT(e["total"]["before"].get<double>(), 0.2) << f << " matched on the BASE side";
        EXPECT_GT(e["total"]["after"].get<double>(), 0.2) << f << " matched on the NEW side";
    }
}

TEST(Diff, ErrorsExitTwoWithTheReason) {
    TempDir tmp;
    const std::string rec = record(tmp, "a.kiln", "diff_twin");
    auto r = diff({rec, tmp.path("missing.kiln"), "--fail-above", "10"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("missing.kiln"), std::string::npos) << r.err;
    {
        std::ofstream(tmp.path("junk")) << "not a profile\n";
    }
    r = diff({rec, tmp.path("junk")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("neither a kiln recording"), std::string::npos) << r.err;
    r = diff({rec, rec, "--view", "offcpu"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("a.kiln"), std::string::npos) << r.err;
    r = diff({rec});
    EXPECT_EQ(r.exit_code, 2);
    r = diff({rec, rec, "--report", tmp.path("r.txt")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(".json"), std::string::npos) << r.err;
    r = diff({rec, rec, "--fail-above", "10"});
    EXPECT_EQ(r.exit_code, 0) << "a recording against itself: " << r.err;
}
