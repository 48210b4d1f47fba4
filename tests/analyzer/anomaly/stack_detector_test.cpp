// The anomalies view's statistics on synthetic windows: the chi-square tail, Jensen-Shannon
// distances, a steady multinomial stream that must stay quiet whatever its window size, an
// injected change that must be found with its function named, and two different changes that
// must become two kinds.
#include "analyzer/anomaly/anomaly_report.h"
#include "analyzer/anomaly/counter_anomalies.h"

#include <gtest/gtest.h>

#include <random>

using namespace kiln::analyzer;

namespace {

using Counts = std::vector<std::pair<uint32_t, double>>;

// Buckets of 10 ms; per bucket `per_bucket` samples drawn from the stacks' probabilities.
WindowedStacks stream(const std::vector<std::string>& keys, size_t buckets, int per_bucket,
                      const std::function<std::vector<double>(size_t)>& probabilities, uint64_t seed) {
    WindowedStacks w;
    w.start_ns = 1'000'000'000;
    w.bucket_ns = 10'000'000;
    w.keys = keys;
    std::mt19937_64 rng(seed);
    for (size_t b = 0; b < buckets; ++b) {
        const auto p = probabilities(b);
        std::discrete_distribution<uint32_t> pick(p.begin(), p.end());
        std::map<uint32_t, uint32_t> c;
        for (int i = 0; i < per_bucket; ++i) ++c[pick(rng)];
        w.buckets.push_back({b, {c.begin(), c.end()}});
        w.samples += static_cast<uint64_t>(per_bucket);
    }
    return w;
}

const std::vector<std::string> kKeys{"app;main;steady_a", "app;main;steady_b", "app;main;burst_c", "app;main;lock;wait",
                                     "app;main;steady_a;memcpy"};

uint64_t end_of(const WindowedStacks& w) { return w.start_ns + w.bucket_end() * w.bucket_ns; }

// 30 s of buckets; from 12 s to 14 s the program runs burst_c instead.
WindowedStacks stream_with_burst() {
    const auto with_burst = [](size_t b) {
        return b >= 1200 && b < 1400 ? std::vector<double>{0.05, 0.05, 0.9, 0.0, 0.0}
                                     : std::vector<double>{0.5, 0.3, 0.0, 0.1, 0.1};
    };
    return stream(kKeys, 3000, 10, with_burst, 7);
}

}  // namespace

TEST(AnomalyStats, ChiSquareTailAndDistances) {
    EXPECT_NEAR(chi_square_upper_tail(3.841, 1), 0.05, 0.01);
    EXPECT_NEAR(chi_square_upper_tail(18.307, 10), 0.05, 0.005);
    EXPECT_NEAR(chi_square_upper_tail(10, 10), 0.44, 0.02);
    EXPECT_EQ(chi_square_upper_tail(0, 3), 1.0);
    const Counts a{{0, 10}, {1, 10}}, b{{0, 10}, {1, 10}}, c{{2, 5}};
    EXPECT_NEAR(js_distance(a, b), 0.0, 1e-9);
    EXPECT_NEAR(js_distance(a, c), 1.0, 1e-9) << "disjoint distributions are 1 apart";
    const Counts d{{0, 20}};
    EXPECT_GT(js_distance(a, d), 0.3);
    EXPECT_LT(js_distance(a, d), 0.9);
}

TEST(AnomalyDetector, ASteadyStreamReportsNothingWhateverTheWindow) {
    const auto steady = [](size_t) { return std::vector<double>{0.5, 0.3, 0.0, 0.1, 0.1}; };
    for (uint64_t window_ms : {0, 50, 100, 500, 2000}) {
        for (uint64_t seed = 1; seed <= 5; ++seed) {
            WindowedStacks w = stream(kKeys, 3000, 10, steady, seed);
            const uint64_t end = end_of(w);
            AnomalyOptions o;
            o.window_ns = window_ms * 1'000'000;
            const AnomalyReport r = find_anomalies(std::move(w), end, o);
            EXPECT_TRUE(r.ranges.empty()) << "window " << window_ms << " ms, seed " << seed << ": "
                                          << r.ranges.front().start_s << "-" << r.ranges.front().end_s;
            EXPECT_GT(r.judged, 0u) << window_ms;
        }
    }
}

TEST(AnomalyDetector, AnInjectedBurstIsFoundWithItsFunction) {
    WindowedStacks w = stream_with_burst();
    const uint64_t end = end_of(w);
    AnomalyOptions o;
    o.window_ns = 500'000'000;
    const AnomalyReport r = find_anomalies(std::move(w), end, o);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_NEAR(r.ranges[0].start_s, 12.0, 0.5);
    EXPECT_NEAR(r.ranges[0].end_s, 14.0, 0.5);
    ASSERT_FALSE(r.ranges[0].changes.empty());
    EXPECT_EQ(r.ranges[0].changes[0].function, "burst_c");
    EXPECT_GT(r.ranges[0].changes[0].share_after, 0.8);
    ASSERT_EQ(r.kinds.size(), 1u);
    EXPECT_NE(r.kinds[0].label.find("burst_c"), std::string::npos) << r.kinds[0].label;
}

TEST(AnomalyDetector, AWindowTooSparseToJudgeDoesNotSplitARange) {
    // The burst of 12-14 s, but 13.0-13.5 s holds no sample (a lock convoy or a loaded machine
    // thins a window out): one range of 12-14 s with the three judged windows, not two ranges.
    WindowedStacks w = stream_with_burst();
    std::erase_if(w.buckets, [](const auto& b) { return b.index >= 1300 && b.index < 1350; });
    w.samples -= 500;
    const uint64_t end = end_of(w);
    AnomalyOptions o;
    o.window_ns = 500'000'000;
    const AnomalyReport r = find_anomalies(std::move(w), end, o);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_NEAR(r.ranges[0].start_s, 12.0, 0.01);
    EXPECT_NEAR(r.ranges[0].end_s, 14.0, 0.01);
    EXPECT_EQ(r.ranges[0].windows, 3u);
    ASSERT_EQ(r.kinds.size(), 1u);
    EXPECT_EQ(r.kinds[0].ranges, 1u);
}

TEST(AnomalyDetector, TwoDifferentChangesAreTwoKindsAndRepeatsOneKind) {
    // burst_c at 10-11 s and 20-21 s, a lock convoy (lock;wait) at 15-16 s.
    const auto mixed = [](size_t b) {
        if ((b >= 1000 && b < 1100) || (b >= 2000 && b < 2100)) return std::vector<double>{0.05, 0.05, 0.9, 0.0, 0.0};
        if (b >= 1500 && b < 1600) return std::vector<double>{0.1, 0.05, 0.0, 0.85, 0.0};
        return std::vector<double>{0.5, 0.3, 0.0, 0.1, 0.1};
    };
    WindowedStacks w = stream(kKeys, 3000, 10, mixed, 11);
    const uint64_t end = end_of(w);
    AnomalyOptions o;
    o.window_ns = 500'000'000;
    const AnomalyReport r = find_anomalies(std::move(w), end, o);
    ASSERT_EQ(r.ranges.size(), 3u);
    ASSERT_EQ(r.kinds.size(), 2u);
    EXPECT_EQ(r.ranges[0].kind, r.ranges[2].kind);
    EXPECT_NE(r.ranges[0].kind, r.ranges[1].kind);
    const AnomalyKind& lock = r.kinds[static_cast<size_t>(r.ranges[1].kind - 1)];
    EXPECT_NE(lock.label.find("lock"), std::string::npos) << lock.label;
    EXPECT_EQ(lock.ranges, 1u);
}

TEST(AnomalyDetector, ABaselineRangeIsWhatWindowsAreJudgedAgainst) {
    // The program's first 5 s are its normal; from 20 s on it changes for good: judged against
    // the recording's past, the change would become the new normal only slowly, but against
    // the given baseline every window after 20 s is anomalous.
    const auto shift = [](size_t b) {
        return b >= 2000 ? std::vector<double>{0.1, 0.1, 0.8, 0.0, 0.0} : std::vector<double>{0.5, 0.3, 0.0, 0.1, 0.1};
    };
    WindowedStacks w = stream(kKeys, 3000, 10, shift, 3);
    const uint64_t end = end_of(w);
    AnomalyOptions o;
    o.window_ns = 1'000'000'000;
    o.baseline_s = std::make_pair(0.0, 5.0);
    const AnomalyReport r = find_anomalies(std::move(w), end, o);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_NEAR(r.ranges[0].start_s, 20.0, 1e-6);
    EXPECT_NEAR(r.ranges[0].end_s, 30.0, 1e-6);
}

TEST(AnomalyDetector, ABaselineRecordingWithItsOwnStacksIsWhatWindowsAreJudgedAgainst) {
    // The baseline run knows other stacks, in another order: they are matched by name.
    const std::vector<std::string> base_keys{"app;main;steady_b", "app;main;only_in_baseline", "app;main;steady_a"};
    WindowedStacks base = stream(base_keys, 1000, 10, [](size_t) { return std::vector<double>{0.4, 0.05, 0.55}; }, 4);
    // The recording: burst_c half of the time from start to end, so nothing changes within it.
    WindowedStacks w = stream(kKeys, 1000, 10, [](size_t) { return std::vector<double>{0.3, 0.2, 0.5, 0.0, 0.0}; }, 5);
    const uint64_t end = end_of(w);
    AnomalyOptions own;
    own.window_ns = 1'000'000'000;
    EXPECT_TRUE(find_anomalies(w, end, own).ranges.empty());
    AnomalyOptions o = own;
    o.baseline_recording = std::move(base);
    const AnomalyReport r = find_anomalies(std::move(w), end, o);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_NEAR(r.ranges[0].start_s, 0.0, 1e-6);
    EXPECT_NEAR(r.ranges[0].end_s, 10.0, 1e-6);
    ASSERT_FALSE(r.ranges[0].changes.empty());
    EXPECT_EQ(r.ranges[0].changes[0].function, "burst_c");
    EXPECT_NEAR(r.ranges[0].changes[0].share_before, 0.0, 1e-9);
    // The changes are against the baseline's stacks: steady_a was 55% there.
    bool steady_a = false;
    for (const auto& c : r.ranges[0].changes)
        if (c.function == "steady_a") steady_a = std::abs(c.share_before - 0.55) < 0.03;
    EXPECT_TRUE(steady_a);
}

TEST(AnomalyDetector, OtherProportionsOfTheSameFunctionsAreNotReported) {
    // Two threads run the same code; for 2 s one gets three times the CPU of the other (a loaded
    // machine): the stacks' distribution moves, but no function's share doubles.
    const std::vector<std::string> keys{"app;_start;main;work;step_a", "app;_start;main;work;step_b",
                                        "app;clone3;start_thread;work;step_a", "app;clone3;start_thread;work;step_b"};
    const auto balance = [](size_t b) {
        const double main_share = b >= 1000 && b < 1200 ? 0.75 : 0.5;
        return std::vector<double>{0.6 * main_share, 0.4 * main_share, 0.6 * (1 - main_share), 0.4 * (1 - main_share)};
    };
    WindowedStacks w = stream(keys, 3000, 10, balance, 8);
    const uint64_t end = end_of(w);
    AnomalyOptions o;
    o.window_ns = 500'000'000;
    const AnomalyReport r = find_anomalies(std::move(w), end, o);
    EXPECT_TRUE(r.ranges.empty());
    bool noted = false;
    for (const auto& n : r.notes) noted |= n.find("only in the proportions") != std::string::npos;
    EXPECT_TRUE(noted) << "the shift was significant, and the report says why it is not a range";
}

TEST(AnomalyDetector, HostileTimesStayBounded) {
    // A sample a century in (a corrupt timestamp): windows widen rather than number billions.
    WindowedStacks w = stream(kKeys, 300, 10, [](size_t) { return std::vector<double>{0.5, 0.3, 0.0, 0.1, 0.1}; }, 9);
    w.buckets.push_back({uint64_t{1} << 40, {{0, 3}}});
    const uint64_t end = end_of(w);
    AnomalyOptions o;
    o.window_ns = 1'000'000;  // 1 ms asked
    const AnomalyReport r = find_anomalies(std::move(w), end, o);
    EXPECT_LE(r.windows.size(), kMaxAnomalyWindows);
    EXPECT_GT(r.window_ns, 1'000'000u);
}

TEST(AnomalyDetector, TooFewSamplesAreNotJudged) {
    WindowedStacks w = stream(kKeys, 100, 1, [](size_t) { return std::vector<double>{1, 1, 1, 1, 1}; }, 5);
    const uint64_t end = end_of(w);
    const AnomalyReport r = find_anomalies(std::move(w), end, AnomalyOptions{});
    EXPECT_EQ(r.judged, 0u);
    EXPECT_TRUE(r.ranges.empty());
    ASSERT_FALSE(r.notes.empty());
}

// SeriesDetector's own tests: series_detector_test.cpp.

TEST(CounterAnomalies, ARunQueueSpikeIsARangeOfItsSeries) {
    Timeline t;
    t.windows.start_ns = t.windows.recording_start_ns = 0;
    t.windows.window_ns = 100'000'000;
    t.windows.count = 100;
    TimelineSeries running{"load.running", "tasks", std::vector<double>(100, 2.0)};
    TimelineSeries per_process{"process.7.cpu", "%", std::vector<double>(100, 1.0)};
    for (size_t i = 0; i < 100; ++i) running.values[i] += (i % 3) * 0.5;
    for (size_t i = 40; i < 45; ++i) running.values[i] = 9, per_process.values[i] = 90;
    t.series = {running, per_process};
    AnomalyReport r;
    add_counter_anomalies(r, t, Sensitivity::kNormal);
    ASSERT_EQ(r.counters.size(), 1u) << "per-process CPU series are not looked at";
    EXPECT_EQ(r.counters[0].series, "load.running");
    EXPECT_NEAR(r.counters[0].start_s, 4.0, 1e-9);
    EXPECT_NEAR(r.counters[0].end_s, 4.5, 1e-9);
    EXPECT_EQ(r.counters[0].peak, 9);
    EXPECT_GT(r.counters[0].z, 0);
}

TEST(CounterAnomalies, AnRssJumpOfABigProcessIsARangeAndSmallWobblesAreNot) {
    Timeline t;
    t.windows.start_ns = t.windows.recording_start_ns = 0;
    t.windows.window_ns = 100'000'000;
    t.windows.count = 100;
    t.labels[42] = "app";
    // app sits at 100 MiB give or take 256 KiB, and grows by 200 MiB from 6 s to 7 s; a small
    // process wobbles by 100 KiB around 2 MiB, under the 1 MiB that means something.
    TimelineSeries app{"process.42.rss", "bytes", std::vector<double>(100, 100.0 * (1 << 20))};
    TimelineSeries small{"process.43.rss", "bytes", std::vector<double>(100, 2.0 * (1 << 20))};
    for (size_t i = 0; i < 100; ++i) {
        app.values[i] += static_cast<double>((i % 3) * (1 << 18));
        small.values[i] += static_cast<double>((i % 2) * 100 * 1024);
    }
    for (size_t i = 60; i < 70; ++i) app.values[i] += 200.0 * (1 << 20);
    t.series = {app, small};
    AnomalyReport r;
    add_counter_anomalies(r, t, Sensitivity::kNormal);
    ASSERT_EQ(r.counters.size(), 1u);
    EXPECT_EQ(r.counters[0].series, "process.42.rss (app)");
    EXPECT_NEAR(r.counters[0].start_s, 6.0, 1e-9);
    EXPECT_GE(r.counters[0].peak, 300.0 * (1 << 20));
}

TEST(CounterAnomalies, ALastWindowPastTheRecordingsEndIsNotJudged) {
    Timeline t;
    t.windows.start_ns = t.windows.recording_start_ns = 0;
    t.windows.window_ns = 100'000'000;
    t.windows.count = 100;
    TimelineSeries running{"load.running", "tasks", std::vector<double>(100, 5.0)};
    for (size_t i = 0; i < 100; ++i) running.values[i] += (i % 3) * 0.5;
    running.values[99] = 0;  // the program has exited: its last window holds 30 ms of the recording
    t.series = {running};
    AnomalyReport whole;
    add_counter_anomalies(whole, t, Sensitivity::kNormal);
    ASSERT_EQ(whole.counters.size(), 1u) << "judged when the recording runs to the window's end";
    AnomalyReport cut;
    cut.windows.push_back({9.9, 9.93, 0, 0, false, false});
    add_counter_anomalies(cut, t, Sensitivity::kNormal);
    EXPECT_TRUE(cut.counters.empty());
}
