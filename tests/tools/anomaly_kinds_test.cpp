// `kiln analyze --view anomalies` on real recordings of anomaly_mix, whose two threads run a
// steady mix and, at known times, a syscall burst (syscall_burst), a lock convoy
// (convoy_critical under one mutex) or an allocation burst (alloc_burst): every injected range is
// found with its start and end within a window of the truth, its kind named by the injected
// function, the ranges of one kind grouped, and steady runs of the same program report nothing
// (the false-positive rate over repeated runs is printed).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "tests/tools/anomaly_runs.h"

using namespace kiln::test;
using nlohmann::json;

namespace {

struct Truth {
    double from, to;
    const char* function;  // what the kind must be named by
};

std::string record_mix(const TempDir& tmp, const std::string& name, const std::vector<std::string>& args) {
    return record_workload(tmp, name, "anomaly_mix_fp", args);
}

json anomalies(const std::string& rec, const std::vector<std::string>& extra = {}) { return anomalies_json(rec, extra); }

const json* kind_of(const json& j, const json& range) {
    for (const json& k : j["kinds"])
        if (k["id"] == range["kind"]) return &k;
    return nullptr;
}

// Each truth range found once, within a window of its times (the program starts a few ms after
// the recording), and its kind's label (its two most grown functions) names the injected
// function. Returns the kind id of each truth range.
std::vector<int> expect_found(const json& j, const std::vector<Truth>& truth) {
    std::vector<int> kinds;
    const double w = j["window_ns"].get<double>() / 1e9;
    // The ranges and every window's verdict first: what a failure on another machine needs.
    json verdicts = json::array();
    for (const json& s : j["scores"])
        verdicts.push_back({s["start_s"], s["judged"], s["anomalous"], s["distance"]});
    const std::string dump = "ranges " + j["windows"].dump() + "\nwindows (start, judged, anomalous, distance) " +
                             verdicts.dump() + "\nwindow " + j["window"].dump() + ", " + std::to_string(j["kinds"].size()) + " kinds";
    EXPECT_EQ(j["windows"].size(), truth.size()) << "window " << w << ": " << dump;
    for (const Truth& t : truth) {
        const json* found = nullptr;
        for (const json& range : j["windows"])
            if (range["start_s"].get<double>() < t.to && range["end_s"].get<double>() > t.from) found = &range;
        if (!found) {
            ADD_FAILURE() << "nothing found at " << t.from << "-" << t.to << " s: " << dump;
            kinds.push_back(0);
            continue;
        }
        EXPECT_NEAR((*found)["start_s"].get<double>(), t.from, w + 0.05) << found->dump();
        EXPECT_NEAR((*found)["end_s"].get<double>(), t.to, w + 0.05) << found->dump();
        const json* kind = kind_of(j, *found);
        if (!kind) {
            ADD_FAILURE() << "no kind " << (*found)["kind"] << ": " << dump;
            kinds.push_back(0);
            continue;
        }
        EXPECT_NE((*kind)["label"].get<std::string>().find(t.function), std::string::npos) << kind->dump();
        kinds.push_back((*found)["kind"].get<int>());
    }
    return kinds;
}

// The truth in NAB's windows format (each injected range, widened by a window on the right: a
// streaming detector can only tell at a window's end) and kiln's windows as NAB results (1 for
// an anomalous window, at its end), scored by kiln-nab's port of NAB's scorer.
json nab_score(const TempDir& tmp, const json& j, const std::vector<Truth>& truth) {
    const double w = j["window_ns"].get<double>() / 1e9;
    json windows = json::array();
    for (const Truth& t : truth) windows.push_back({t.from, t.to + w});
    std::ofstream(tmp.path("truth.json")) << json{{"anomaly_mix.csv", windows}}.dump();
    std::ofstream results(tmp.path("kiln.csv"));
    results << "timestamp,anomaly_score\n";
    for (const json& s : j["scores"]) results << s["end_s"].get<double>() << ',' << (s["anomalous"].get<bool>() ? 1 : 0) << '\n';
    results.close();
    auto r = run({KILN_NAB_BIN, "score-file", "--windows", tmp.path("truth.json"), "--results", tmp.path("kiln.csv"), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
}

}  // namespace

TEST(AnomalyKinds, FourRangesOfThreeKindsAreFoundAndGrouped) {
    TempDir tmp;
    // 12 s with the four changes at 2.4, 4.8, 7.2 and 9.6 s: the truth windows cover a fifth of
    // the run, as NAB's windows cover a tenth of its files, so NAB's score means something.
    const std::string rec = record_mix(tmp, "all.kiln", {"12", "all"});
    const json j = anomalies(rec);
    ASSERT_TRUE(j.contains("windows")) << j.dump();
    const std::vector<Truth> truth{{2.4, 2.8, "syscall_burst"},
                                   {4.8, 5.2, "convoy_critical"},
                                   {7.2, 7.6, "alloc_burst"},
                                   {9.6, 10.0, "syscall_burst"}};
    const std::vector<int> kinds = expect_found(j, truth);
    ASSERT_EQ(kinds.size(), 4u);
    EXPECT_EQ(j["kinds"].size(), 3u) << j["kinds"].dump(1);
    EXPECT_EQ(kinds[0], kinds[3]) << "both syscall bursts are one kind";
    EXPECT_NE(kinds[0], kinds[1]);
    EXPECT_NE(kinds[1], kinds[2]);
    EXPECT_NE(kinds[0], kinds[2]);
    // NAB's score of the same detections (100: every window found at its start, no false
    // positive; 0: as good as NAB's null detector).
    const json nab = nab_score(tmp, j, truth);
    ASSERT_TRUE(nab.contains("profiles")) << nab.dump();
    std::printf("NAB score of kiln's windows: standard %.1f, low FP %.1f, low FN %.1f\n",
                nab["profiles"]["standard"]["score"].get<double>(), nab["profiles"]["reward_low_FP_rate"]["score"].get<double>(),
                nab["profiles"]["reward_low_FN_rate"]["score"].get<double>());
    EXPECT_EQ(nab["profiles"]["standard"]["windows_found"], 4) << nab.dump(1);
    EXPECT_GE(nab["profiles"]["standard"]["score"].get<double>(), 50) << nab.dump(1);
}

TEST(AnomalyKinds, EachKindAloneIsFoundWithinAWindow) {
    TempDir tmp;
    for (const Truth& t : {Truth{1.2, 1.6, "syscall_burst"}, Truth{1.2, 1.6, "convoy_critical"},
                           Truth{1.2, 1.6, "alloc_burst"}}) {
        const std::string mode = t.function == std::string("syscall_burst")     ? "syscalls"
                                 : t.function == std::string("convoy_critical") ? "convoy"
                                                                                 : "alloc";
        SCOPED_TRACE(mode);
        const std::string rec = record_mix(tmp, mode + ".kiln", {"3", mode});
        const json j = anomalies(rec);
        ASSERT_TRUE(j.contains("windows")) << j.dump();
        expect_found(j, {t});
        ASSERT_EQ(j["windows"].size(), 1u);
        const json& changes = j["windows"][0]["changes"];
        bool grew = false;
        for (const json& c : changes)
            grew |= c["function"] == t.function && c["share_after"].get<double>() > c["share_before"].get<double>() + 0.1;
        EXPECT_TRUE(grew) << t.function << " grew by at least 10 points: " << changes.dump(1);
    }
}

TEST(AnomalyKinds, SteadyRunsReportNothing) {
    TempDir tmp;
    int judged = 0, anomalous = 0, runs = 0;
    for (int run = 0; run < 3; ++run) {
        const std::string rec = record_mix(tmp, "steady" + std::to_string(run) + ".kiln", {"3", "steady"});
        for (const char* window : {"", "200ms", "500ms"}) {
            const json j = anomalies(rec, *window ? std::vector<std::string>{"--window", window} : std::vector<std::string>{});
            EXPECT_TRUE(j["windows"].empty()) << "run " << run << ", window '" << window << "': " << j.dump(1).substr(0, 2000);
            judged += j["judged_windows"].get<int>();
            anomalous += j["anomalous_windows"].get<int>();
            ++runs;
        }
    }
    std::printf("false positives over %d analyses of 3 steady runs: %d of %d judged windows (%.2f%%)\n", runs, anomalous,
                judged, judged ? 100.0 * anomalous / judged : 0.0);
    EXPECT_GT(judged, 20) << "the steady runs' windows were judged, not skipped";
}
