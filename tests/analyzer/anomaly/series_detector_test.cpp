// The counter series detector: quiet on steady and noisy series, one range per event, a new
// level becomes normal, and the score the NAB sweep uses.
#include "analyzer/anomaly/series_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kiln::analyzer {
namespace {

int flagged(SeriesDetector& d, const std::vector<double>& values) {
    int n = 0;
    for (double v : values) n += d.judge(v).anomalous;
    return n;
}

TEST(SeriesDetector, SteadySeriesAreNeverFlagged) {
    for (Sensitivity s : {Sensitivity::kLow, Sensitivity::kNormal, Sensitivity::kHigh}) {
        SeriesDetector flat(s), wobble(s), cycle(s), short_noisy(s);
        EXPECT_EQ(flagged(flat, std::vector<double>(2000, 4.0)), 0);
        std::vector<double> w, c, n;
        for (int i = 0; i < 2000; ++i) w.push_back(i % 2 ? 100.0 : 100.3);  // 0.3%
        for (int i = 0; i < 3000; ++i) c.push_back(50 + 40 * std::sin(i * 2 * M_PI / 100));
        std::mt19937_64 rng(1);
        std::normal_distribution<double> noise(200.0, 4.0);  // 2%
        for (int i = 0; i < 40; ++i) n.push_back(noise(rng));
        EXPECT_EQ(flagged(wobble, w), 0) << "a wobble of 0.3%";
        EXPECT_EQ(flagged(cycle, c), 0) << "a cycle that repeats from the start";
        EXPECT_EQ(flagged(short_noisy, n), 0) << "40 values with 2% noise";
    }
}

TEST(SeriesDetector, GaussianNoiseIsAlmostNeverFlagged) {
    std::mt19937_64 rng(4);
    std::normal_distribution<double> noise(10.0, 1.0);
    SeriesDetector d(Sensitivity::kNormal);
    std::vector<double> v;
    for (int i = 0; i < 5000; ++i) v.push_back(noise(rng));
    // New extremes (beyond ~3 sd, new bins at the edge) are new ground: a few in 5000.
    EXPECT_LE(flagged(d, v), 10);
}

TEST(SeriesDetector, ASpikeIsOneRangeAndANewLevelBecomesNormal) {
    std::mt19937_64 rng(4);
    std::normal_distribution<double> noise(10.0, 1.0);
    SeriesDetector d(Sensitivity::kNormal);
    for (int i = 0; i < 2000; ++i) d.judge(noise(rng));
    const SeriesVerdict spike = d.judge(30);
    EXPECT_TRUE(spike.anomalous);
    EXPECT_GE(spike.score, SeriesDetector::threshold_of(Sensitivity::kNormal));
    EXPECT_LE(spike.score, 1.0);
    EXPECT_NEAR(spike.expected, 10, 1);
    EXPECT_GT(spike.z, 4.5);
    // The event goes on while the values stay up; they are not new onsets.
    for (int i = 0; i < 9; ++i) {
        const SeriesVerdict v = d.judge(30 + noise(rng) - 10);
        EXPECT_TRUE(v.anomalous) << i;
        EXPECT_LT(v.score, SeriesDetector::threshold_of(Sensitivity::kNormal)) << i;
    }
    int after = 0;
    for (int i = 0; i < 200; ++i) after += d.judge(30 + noise(rng) - 10).anomalous;
    EXPECT_LE(after, 2) << "the new level is normal after ten values";
}

TEST(SeriesDetector, AValueBackInsideEndsTheRange) {
    SeriesDetector d(Sensitivity::kNormal);
    for (int i = 0; i < 500; ++i) d.judge(i % 2 ? 9.0 : 11.0);
    EXPECT_TRUE(d.judge(40).anomalous);
    EXPECT_TRUE(d.judge(38).anomalous);
    EXPECT_FALSE(d.judge(10).anomalous);
    EXPECT_FALSE(d.judge(11).anomalous);
}

TEST(SeriesDetector, OnlyOnsetsScore) {
    SeriesDetector d(Sensitivity::kNormal);
    for (int i = 0; i < 500; ++i) d.judge(i % 2 ? 9.0 : 11.0);
    const double first = d.judge(40).score;
    for (int i = 0; i < 20; ++i) d.judge(10);
    // The same spike again, soon: the series has been there; it scores less and is no onset.
    const double second = d.judge(40).score;
    EXPECT_GE(first, SeriesDetector::threshold_of(Sensitivity::kNormal));
    EXPECT_LT(second, first);
    EXPECT_LT(second, SeriesDetector::threshold_of(Sensitivity::kNormal));
}

TEST(SeriesDetector, SensitivityOrdersTheThresholds) {
    EXPECT_GT(SeriesDetector::threshold_of(Sensitivity::kLow), SeriesDetector::threshold_of(Sensitivity::kNormal));
    EXPECT_GT(SeriesDetector::threshold_of(Sensitivity::kNormal), SeriesDetector::threshold_of(Sensitivity::kHigh));
}

TEST(SeriesDetector, NonFiniteValuesAreNotJudged) {
    SeriesDetector d(Sensitivity::kNormal);
    for (int i = 0; i < 100; ++i) d.judge(5);
    EXPECT_FALSE(d.judge(std::nan("")).judged);
    EXPECT_FALSE(d.judge(INFINITY).judged);
    EXPECT_FALSE(d.judge(5).anomalous);
}

}  // namespace
}  // namespace kiln::analyzer
