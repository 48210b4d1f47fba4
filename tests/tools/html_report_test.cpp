// `kiln analyze --html` and `kiln diff --html` on real recordings, the pages driven in headless
// Chromium (Debian's) by Playwright (tests/tools/report_page/drive_report.mjs): the pages load
// without console errors; the flame graph shows cpu_split's 3:1 split; a drag over
// phase_shift's burst shows burst_c alone; search finds a function with its share; the
// anomalous range opens its differential graph; the diff page colours the grown function red.
// Screenshots go to build/<preset>/test-output/html_report/, to be looked at.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;
using nlohmann::json;

namespace {

std::string output_dir(const std::string& test) {
    const std::string dir = std::string(KILN_TEST_OUTPUT_DIR) + "/html_report/" + test;
    std::filesystem::create_directories(dir);
    return dir;
}

// Runs the page driver with these steps; the driver's JSON (console_errors, page_errors, steps).
json drive(const std::string& page, const std::string& out_dir, const json& steps) {
    // node from PATH: tools/install-deps installs Debian's unless the machine has one.
    auto r = run({"/usr/bin/env", "node", KILN_REPORT_DRIVER, page, out_dir, steps.dump()});
    EXPECT_EQ(r.exit_code, 0) << "driver failed: " << r.err << r.out.substr(0, 2000);
    if (r.exit_code != 0) return json::object();
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 2000);
    EXPECT_EQ(j.value("console_errors", json::array()).size(), 0u) << j["console_errors"].dump();
    EXPECT_EQ(j.value("page_errors", json::array()).size(), 0u) << j["page_errors"].dump();
    return j;
}

// A frames step's result: the largest share drawn per function name (a function drawn in
// several places, e.g. under two callers, is counted at its widest).
std::map<std::string, double> shares(const json& step) {
    std::map<std::string, double> out;
    for (const auto& f : step.value("frames", json::array())) {
        double& s = out[f["name"].get<std::string>()];
        s = std::max(s, f["share"].get<double>());
    }
    return out;
}

double share_of(const std::map<std::string, double>& s, const std::string& name) {
    auto it = s.find(name);
    return it == s.end() ? 0.0 : it->second;
}

// The fill of the widest frame of this name ("rgb(r, g, b)") as r, g, b; all -1 if none.
std::array<int, 3> fill_of(const json& step, const std::string& name) {
    double widest = -1;
    std::array<int, 3> rgb{-1, -1, -1};
    for (const auto& f : step.value("frames", json::array())) {
        if (f["name"] != name || f["share"].get<double>() <= widest) continue;
        std::smatch m;
        const std::string fill = f.value("fill", "");
        if (std::regex_search(fill, m, std::regex(R"((\d+)\D+(\d+)\D+(\d+))"))) {
            widest = f["share"].get<double>();
            rgb = {std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3])};
        }
    }
    return rgb;
}

std::string record(const TempDir& tmp, const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"record", "-q", "-o", tmp.path(name)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_kiln(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return tmp.path(name);
}

std::string html_of(const TempDir& tmp, const std::string& rec, const std::string& name) {
    auto r = run_kiln({"analyze", rec, "--html", tmp.path(name)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("wrote " + tmp.path(name)), std::string::npos) << r.err;
    return tmp.path(name);
}

}  // namespace

TEST(HtmlReport, FlameGraphShowsTheKnownSharesAndSearchFindsAFunction) {
    TempDir tmp;
    const std::string rec = record(tmp, "split.kiln", {"-F", "999", "-g", "fp", "--", workload("cpu_split_fp"), "2"});
    const std::string page = html_of(tmp, rec, "split.html");
    const std::string out = output_dir("cpu_split");
    const json j = drive(page, out,
                         json::parse(R"([{"do":"frames"}, {"do":"screenshot","name":"cpu"},
                                         {"do":"search","term":"hot_a"}, {"do":"screenshot","name":"search"},
                                         {"do":"icicle","on":true}, {"do":"frames"}, {"do":"screenshot","name":"icicle"},
                                         {"do":"icicle","on":false}, {"do":"zoom","name":"hot_b"}, {"do":"frames"},
                                         {"do":"text","selector":"#info"}, {"do":"text","selector":"#top-table"}])"));
    ASSERT_EQ(j.value("steps", json::array()).size(), 12u) << j.dump().substr(0, 2000);
    const auto s = shares(j["steps"][0]);
    const double a = share_of(s, "hot_a"), b = share_of(s, "hot_b");
    ASSERT_GT(a + b, 0.85) << j["steps"][0].dump().substr(0, 3000);
    EXPECT_NEAR(a / (a + b), 0.75, 0.05);
    EXPECT_NEAR(share_of(s, "main"), 1.0, 0.02);  // (work, their caller, is skipped by -g fp in leaf code)
    // Search: hot_a found, its share said.
    const json& found = j["steps"][2];
    EXPECT_GE(found["matches"].get<int>(), 1) << found.dump();
    EXPECT_NEAR(found["share"].get<double>(), a, 0.02) << found.dump();
    EXPECT_NE(found["text"].get<std::string>().find("match"), std::string::npos) << found.dump();
    // The icicle draws the same frames.
    EXPECT_NEAR(share_of(shares(j["steps"][5]), "hot_a"), a, 1e-6);
    // Zoomed into hot_b: hot_a is no longer drawn.
    const auto zoomed = shares(j["steps"][9]);
    EXPECT_GT(share_of(zoomed, "hot_b"), 0.0);
    EXPECT_EQ(share_of(zoomed, "hot_a"), 0.0) << j["steps"][9].dump().substr(0, 2000);
    // The summary and the top table.
    EXPECT_NE(j["steps"][10]["text"].get<std::string>().find("cpu_split_fp"), std::string::npos);
    EXPECT_NE(j["steps"][11]["text"].get<std::string>().find("hot_a"), std::string::npos);
    EXPECT_TRUE(std::filesystem::file_size(out + "/cpu.png") > 10000);
}

TEST(HtmlReport, ADraggedRangeRedrawsTheFlameGraphForThatRangeAndAnomaliesOpenTheirDiff) {
    TempDir tmp;
    // burst_c runs from 1.2 to 1.6 s after the program starts (a few ms after the recording).
    const std::string rec =
        record(tmp, "phase.kiln", {"-F", "999", "-g", "fp", "--", workload("phase_shift_fp"), "3"});
    const std::string page = html_of(tmp, rec, "phase.html");
    const std::string out = output_dir("phase_shift");
    const json j = drive(page, out,
                         json::parse(R"([{"do":"frames"},
                                         {"do":"drag","from_s":1.26,"to_s":1.54}, {"do":"frames"},
                                         {"do":"screenshot","name":"burst-range"},
                                         {"do":"drag","from_s":0.2,"to_s":1.0}, {"do":"frames"},
                                         {"do":"clear_range"}, {"do":"frames"},
                                         {"do":"anomaly","index":0}, {"do":"frames"},
                                         {"do":"screenshot","name":"anomaly"}])"));
    ASSERT_EQ(j.value("steps", json::array()).size(), 11u) << j.dump().substr(0, 2000);
    const auto whole = shares(j["steps"][0]);
    EXPECT_NEAR(share_of(whole, "burst_c"), 0.4 / 3, 0.06);
    // The burst's range: burst_c, nearly alone.
    EXPECT_NE(j["steps"][1]["range"].get<std::string>().find("1.2"), std::string::npos) << j["steps"][1].dump();
    const auto burst = shares(j["steps"][2]);
    EXPECT_GT(share_of(burst, "burst_c"), 0.85) << j["steps"][2].dump().substr(0, 3000);
    EXPECT_LT(share_of(burst, "steady_a"), 0.1);
    // Before it: the steady 60:40 mix, no burst_c.
    const auto steady = shares(j["steps"][5]);
    EXPECT_EQ(share_of(steady, "burst_c"), 0.0) << j["steps"][5].dump().substr(0, 3000);
    const double sa = share_of(steady, "steady_a"), sb = share_of(steady, "steady_b");
    ASSERT_GT(sa + sb, 0.8);
    EXPECT_NEAR(sa / (sa + sb), 0.6, 0.08);
    // Cleared: the whole recording again.
    EXPECT_NEAR(share_of(shares(j["steps"][7]), "burst_c"), share_of(whole, "burst_c"), 1e-6);
    // The anomalous range's differential graph: burst_c grew, so it is drawn red.
    const auto rgb = fill_of(j["steps"][9], "burst_c");
    EXPECT_GT(rgb[0], rgb[1] + 40) << j["steps"][9].dump().substr(0, 3000);
    EXPECT_GT(rgb[0], rgb[2] + 40);
}

TEST(HtmlReport, DiffPageColoursTheGrownFunctionRed) {
    TempDir tmp;
    const std::string base =
        record(tmp, "base.kiln", {"-e", "cpu-clock:u", "-F", "999", "-g", "fp", "--", workload("diff_twin"), "1.2"});
    const std::string heavy = record(tmp, "heavy.kiln",
                                     {"-e", "cpu-clock:u", "-F", "999", "-g", "fp", "--", workload("diff_twin_heavy"), "1.2"});
    auto r = run_kiln({"diff", base, heavy, "--html", tmp.path("diff.html")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = drive(tmp.path("diff.html"), output_dir("diff"),
                         json::parse(R"([{"do":"frames"}, {"do":"text","selector":"#diff-table"},
                                         {"do":"screenshot","name":"diff"}])"));
    ASSERT_EQ(j.value("steps", json::array()).size(), 3u) << j.dump().substr(0, 2000);
    const auto grown = fill_of(j["steps"][0], "render_page");
    EXPECT_GT(grown[0], grown[1] + 40) << j["steps"][0].dump().substr(0, 3000);
    EXPECT_GT(grown[0], grown[2] + 40);
    // The stages that shrank are not red.
    const auto shrank = fill_of(j["steps"][0], "parse_input");
    EXPECT_GE(shrank[2], shrank[0]) << j["steps"][0].dump().substr(0, 3000);
    // render_page's share went from a third to a half.
    EXPECT_NEAR(share_of(shares(j["steps"][0]), "render_page"), 0.5, 0.08);
    EXPECT_NE(j["steps"][1]["text"].get<std::string>().find("render_page"), std::string::npos);
}

TEST(HtmlReport, EveryViewOfAnOffCpuRecordingDrawsAndOutputDirHoldsTheReport) {
    TempDir tmp;
    const std::string rec =
        record(tmp, "offcpu.kiln", {"--off-cpu", "-g", "fp", "--", workload("offcpu_mix_fp")});
    auto r = run_kiln({"analyze", rec, "-o", tmp.path("out")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string page = tmp.path("out/report.html");
    ASSERT_TRUE(std::filesystem::exists(page)) << r.err;
    json steps = json::array();
    for (const char* view : {"offcpu", "hotcold", "wakeup", "cpu"}) {
        steps.push_back({{"do", "view"}, {"name", view}});
        steps.push_back({{"do", "frames"}});
        steps.push_back({{"do", "screenshot"}, {"name", view}});
    }
    const json j = drive(page, output_dir("offcpu"), steps);
    ASSERT_EQ(j.value("steps", json::array()).size(), steps.size()) << j.dump().substr(0, 2000);
    for (size_t i = 1; i < steps.size(); i += 3)
        EXPECT_FALSE(j["steps"][i]["frames"].empty()) << steps[i - 1].dump();
}

TEST(HtmlReport, AnUnwritablePathIsAClearError) {
    TempDir tmp;
    const std::string rec = record(tmp, "split.kiln", {"--", workload("cpu_split_fp"), "0.2"});
    auto r = run_kiln({"analyze", rec, "--html", tmp.path("no/such/dir/r.html")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no/such/dir/r.html"), std::string::npos) << r.err;
    auto v = run_kiln({"analyze", rec, "--html", tmp.path("r.html"), "--view", "sched"});
    EXPECT_EQ(v.exit_code, 2) << v.err;
}
