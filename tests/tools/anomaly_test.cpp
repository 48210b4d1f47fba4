// `kiln analyze --view anomalies` on real recordings of phase_shift, whose main thread runs a
// steady 60:40 mix of steady_a and steady_b and, from 1.2 s to 1.6 s after it starts, burst_c
// instead: the burst is found within a window of its true times and named, and steady runs of
// the same program report nothing.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/tools/anomaly_runs.h"

using namespace kiln::test;
using nlohmann::json;

namespace {

json anomalies(const std::string& rec, const std::vector<std::string>& extra = {}) { return anomalies_json(rec, extra); }

std::string record_phase_shift(const TempDir& tmp, const std::string& name, const std::vector<std::string>& args) {
    return record_workload(tmp, name, "phase_shift_fp", args);
}

}  // namespace

TEST(Anomalies, AnInjectedBurstIsFoundAndNamed) {
    TempDir tmp;
    const std::string rec = record_phase_shift(tmp, "burst.kiln", {"3"});
    for (const char* window : {"", "200ms"}) {
        const json j = anomalies(rec, *window ? std::vector<std::string>{"--window", window} : std::vector<std::string>{});
        ASSERT_TRUE(j.contains("windows")) << j.dump();
        const double w = j["window_ns"].get<double>() / 1e9;
        ASSERT_EQ(j["windows"].size(), 1u) << "window " << w << ": " << j.dump(1).substr(0, 3000);
        const json& range = j["windows"][0];
        // The program starts a few ms after the recording: its 1.2-1.6 s are at most a window off.
        EXPECT_NEAR(range["start_s"].get<double>(), 1.2, w + 0.05) << range.dump();
        EXPECT_NEAR(range["end_s"].get<double>(), 1.6, w + 0.05) << range.dump();
        ASSERT_FALSE(range["changes"].empty());
        EXPECT_EQ(range["changes"][0]["function"], "burst_c") << range.dump();
        EXPECT_GT(range["changes"][0]["share_after"].get<double>(), range["changes"][0]["share_before"].get<double>());
        ASSERT_EQ(j["kinds"].size(), 1u);
        EXPECT_NE(j["kinds"][0]["label"].get<std::string>().find("burst_c"), std::string::npos);
    }
}

TEST(Anomalies, SteadyRunsReportNothing) {
    TempDir tmp;
    int judged = 0;
    for (int run = 0; run < 3; ++run) {
        const std::string rec = record_phase_shift(tmp, "steady" + std::to_string(run) + ".kiln", {"3", "steady"});
        for (const char* window : {"", "200ms", "1s"}) {
            const json j = anomalies(rec, *window ? std::vector<std::string>{"--window", window} : std::vector<std::string>{});
            EXPECT_TRUE(j["windows"].empty()) << "run " << run << ", window '" << window << "': " << j.dump(1).substr(0, 2000);
            judged += j["judged_windows"].get<int>();
        }
    }
    EXPECT_GT(judged, 9) << "the steady runs' windows were judged, not skipped";
}

TEST(Anomalies, ReportsAndFlags) {
    TempDir tmp;
    const std::string rec = record_phase_shift(tmp, "burst.kiln", {"3"});
    auto md = run_kiln({"analyze", rec, "--view", "anomalies", "--report", tmp.path("a.md")});
    ASSERT_EQ(md.exit_code, 0) << md.err;
    const std::string text = read_text(tmp.path("a.md"));
    EXPECT_NE(text.find("# Anomalous time ranges"), std::string::npos) << text;
    EXPECT_NE(text.find("`burst_c`"), std::string::npos) << text;
    EXPECT_NE(md.out.find("kind 1: burst_c"), std::string::npos) << md.out;
    auto dir = run_kiln({"analyze", rec, "--view", "anomalies", "-o", tmp.path("")});
    ASSERT_EQ(dir.exit_code, 0) << dir.err;
    EXPECT_FALSE(json::parse(read_text(tmp.path("anomalies.json")))["windows"].empty());
    // The range's differential flame graph: burst_c is there, and drawn as grown (red).
    const std::string svg = read_text(tmp.path("anomaly-1.svg"));
    EXPECT_NE(svg.find("burst_c"), std::string::npos);
    EXPECT_NE(svg.find("anomalous range 1"), std::string::npos);
    // The timeline of the same windows, the range shaded.
    const std::string timeline = read_text(tmp.path("anomalies-timeline.svg"));
    EXPECT_NE(timeline.find("class=\"mark\""), std::string::npos);
    EXPECT_NE(timeline.find("range 1, kind 1: burst_c"), std::string::npos);
    EXPECT_EQ(run_kiln({"analyze", rec, "--view", "anomalies", "--sensitivity", "extreme"}).exit_code, 2);
    EXPECT_EQ(run_kiln({"analyze", rec, "--view", "anomalies", "--report", tmp.path("a.txt")}).exit_code, 2);
    EXPECT_EQ(run_kiln({"analyze", rec, "--view", "anomalies", "--svg", tmp.path("a.svg")}).exit_code, 2);
    EXPECT_EQ(run_kiln({"analyze", rec, "--view", "cpu", "--sensitivity", "high"}).exit_code, 2);
    // --baseline-time: the first second is normal; the burst is judged against it.
    const json b = anomalies(rec, {"--baseline-time", "0,1", "--window", "200ms"});
    ASSERT_EQ(b["windows"].size(), 1u) << b.dump(1).substr(0, 2000);
    EXPECT_NEAR(b["windows"][0]["start_s"].get<double>(), 1.2, 0.25);
}

TEST(Anomalies, BaselineRecording) {
    TempDir tmp;
    const std::string base = record_phase_shift(tmp, "base.kiln", {"3", "steady"});
    // burst_c from start to end: against its own past nothing changes; against the steady
    // baseline every window is burst_c.
    const std::string changed = record_phase_shift(tmp, "changed.kiln", {"3", "0", "100"});
    EXPECT_TRUE(anomalies(changed)["windows"].empty());
    const json j = anomalies(changed, {"--baseline", base});
    ASSERT_EQ(j["windows"].size(), 1u) << j.dump(1).substr(0, 3000);
    const json& range = j["windows"][0];
    const double w = j["window_ns"].get<double>() / 1e9;
    EXPECT_LT(range["start_s"].get<double>(), w + 0.05) << range.dump();
    EXPECT_GT(range["end_s"].get<double>(), 3 - w - 0.05) << range.dump();
    ASSERT_FALSE(range["changes"].empty());
    // The changes are against the baseline: burst_c from nothing, steady_a from about 60%.
    bool burst = false, steady_a = false;
    for (const json& c : range["changes"]) {
        if (c["function"] == "burst_c") burst = c["share_before"].get<double>() < 0.01 && c["share_after"].get<double>() > 0.9;
        if (c["function"] == "steady_a")
            steady_a = std::abs(c["share_before"].get<double>() - 0.6) < 0.1 && c["share_after"].get<double>() < 0.01;
    }
    EXPECT_TRUE(burst && steady_a) << range["changes"].dump(1);
    // A burst in a run of its own, against the baseline: found where it is.
    const std::string burst_rec = record_phase_shift(tmp, "burst.kiln", {"3"});
    const json b = anomalies(burst_rec, {"--baseline", base});
    ASSERT_EQ(b["windows"].size(), 1u) << b.dump(1).substr(0, 3000);
    EXPECT_NEAR(b["windows"][0]["start_s"].get<double>(), 1.2, b["window_ns"].get<double>() / 1e9 + 0.05);
    // Errors: a missing baseline, and both kinds of baseline at once.
    auto missing = run_kiln({"analyze", changed, "--view", "anomalies", "--baseline", tmp.path("nope.kiln")});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("--baseline"), std::string::npos) << missing.err;
    EXPECT_EQ(run_kiln({"analyze", changed, "--view", "anomalies", "--baseline", base, "--baseline-time", "0,1"}).exit_code, 2);
    EXPECT_EQ(run_kiln({"analyze", changed, "--view", "cpu", "--baseline", base}).exit_code, 2);
}
