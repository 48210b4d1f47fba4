// NAB's scoring on hand-computed cases. The file used by most: 20 rows, so 3 probationary rows
// (floor(0.15 x 20)), and one window over rows 10..14 (width 5).
#include "tools/bench/anomaly/nab_scoring.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace kiln::nab {
namespace {

constexpr Costs kStandard{1.0, 0.11, 1.0};
constexpr Costs kLowFn{1.0, 0.11, 2.0};
constexpr Costs kLowFp{1.0, 0.22, 1.0};
const std::vector<RowWindow> kWindow = {{10, 14}};

// Scores of 20 rows: 1 on the rows given, 0 elsewhere.
std::vector<double> detections(std::initializer_list<size_t> rows) {
    std::vector<double> s(20, 0.0);
    for (size_t r : rows) s[r] = 1.0;
    return s;
}

double raw(std::initializer_list<size_t> rows, const Costs& c = kStandard) {
    CorpusSweep sweep;
    sweep.add_file(detections(rows), kWindow);
    return sweep.at(c, 0.5).score;
}

TEST(NabScoring, ScaledSigmoid) {
    EXPECT_NEAR(scaled_sigmoid(-1.0), 0.98661429815, 1e-10);  // the window's left end
    EXPECT_NEAR(scaled_sigmoid(0.0), 0.0, 1e-12);             // its right end
    EXPECT_NEAR(scaled_sigmoid(1.0), -0.98661429815, 1e-10);
    EXPECT_EQ(scaled_sigmoid(3.5), -1.0);  // far past a window: flat -1
}

TEST(NabScoring, ProbationaryRows) {
    EXPECT_EQ(probationary_rows(20), 3u);
    EXPECT_EQ(probationary_rows(4032), 604u);
    EXPECT_EQ(probationary_rows(22695), 750u);  // capped at 15% of 5000
}

TEST(NabScoring, DetectionAtTheLeftEndScoresTheFullTpWeight) { EXPECT_NEAR(raw({10}), 1.0, 1e-12); }

TEST(NabScoring, DetectionAtTheRightEndScoresLittle) {
    // position -(14 - 14 + 1) / 5 = -0.2: sigmoid 0.46212, over the left end's 0.98661.
    EXPECT_NEAR(raw({14}), 0.46838684390, 1e-9);
}

TEST(NabScoring, OnlyTheEarliestDetectionOfAWindowCounts) {
    // Row 12: position -0.6, 0.91743; the later row 14 adds nothing.
    EXPECT_NEAR(raw({12, 14}), 0.91742868043, 1e-9);
    EXPECT_NEAR(raw({10, 11, 12, 13, 14}), 1.0, 1e-12);
}

TEST(NabScoring, MissedWindowCostsTheFnWeight) {
    EXPECT_NEAR(raw({}), -1.0, 1e-12);
    EXPECT_NEAR(raw({}, kLowFn), -2.0, 1e-12);
}

TEST(NabScoring, FalsePositiveBeforeAnyWindowCostsTheFpWeight) {
    // Row 5 lies before the first window: -1 x 0.11; the window is missed.
    EXPECT_NEAR(raw({5}), -1.11, 1e-12);
    EXPECT_NEAR(raw({5}, kLowFp), -1.22, 1e-12);
}

TEST(NabScoring, FalsePositiveAfterAWindowWeighsByItsDistance) {
    // Row 15: (15 - 14) / (5 - 1) = 0.25 past the window, sigmoid -0.55460; row 19: 1.25, -0.99615.
    EXPECT_NEAR(raw({10, 15}), 1.0 - 0.11 * 0.55459972235, 1e-9);
    EXPECT_NEAR(raw({10, 19}), 1.0 - 0.11 * 0.99614653067, 1e-9);
    // Every false positive row counts, unlike detections inside a window.
    EXPECT_NEAR(raw({10, 15, 19}), 1.0 - 0.11 * (0.55459972235 + 0.99614653067), 1e-9);
}

TEST(NabScoring, ProbationaryRowsAreNotScored) {
    EXPECT_NEAR(raw({0, 1, 2}), -1.0, 1e-12);  // not false positives
    EXPECT_NEAR(raw({3}), -1.11, 1e-12);       // the first scored row is
    // A window inside the probation is neither found nor missed.
    CorpusSweep sweep;
    sweep.add_file(detections({}), {{0, 2}});
    EXPECT_EQ(sweep.windows(), 1u);
    EXPECT_EQ(sweep.scorable_windows(), 0u);
    EXPECT_EQ(sweep.at(kStandard, 0.5).score, 0.0);
}

TEST(NabScoring, NullAndPerfectDetectorsNormalizeTo0And100) {
    // 100 rows (15 probationary), one window over rows 50..54: flagging every row would cost
    // 35 false positives before it, so the null detector does best detecting nothing.
    CorpusSweep sweep;
    std::vector<double> s(100, 0.0);
    s[54] = 1.0;  // the window's right end: 0.46839
    sweep.add_file(s, {{50, 54}});
    EXPECT_NEAR(sweep.null_score(kStandard), -1.0, 1e-12);
    EXPECT_NEAR(sweep.null_score(kLowFn), -2.0, 1e-12);
    EXPECT_EQ(sweep.perfect_score(kStandard), 1.0);
    EXPECT_NEAR(sweep.normalize(kStandard, -1.0).score, 0.0, 1e-12);
    EXPECT_NEAR(sweep.normalize(kStandard, 1.0).score, 100.0, 1e-12);
    EXPECT_NEAR(sweep.normalize(kStandard, sweep.at(kStandard, 0.5).score).score, 100.0 * (0.46838684390 + 1.0) / 2.0,
                1e-7);
    EXPECT_NEAR(sweep.normalize(kLowFn, sweep.at(kLowFn, 0.5).score).score, 100.0 * (0.46838684390 + 2.0) / 3.0, 1e-7);
}

TEST(NabScoring, NullDetectorIsTheBetterOfNothingAndEverything) {
    // In the 20-row file, flagging every row: 7 false positives before the window (-0.77), the
    // window at its left end (+1), rows 15..19 after it (0.25 .. 1.25 widths past).
    CorpusSweep sweep;
    sweep.add_file(detections({}), kWindow);
    double after = 0;
    for (int r = 15; r <= 19; ++r) after += scaled_sigmoid((r - 14) / 4.0);
    EXPECT_NEAR(sweep.null_score(kStandard), -0.77 + 1.0 + 0.11 * after, 1e-12);
    EXPECT_GT(sweep.null_score(kStandard), -1.0);
    // A window over every scored row: flagging everything finds it at its left end.
    CorpusSweep all;
    all.add_file(detections({}), {{3, 19}});
    EXPECT_NEAR(all.null_score(kStandard), 1.0, 1e-12);
}

TEST(NabScoring, SweepPicksTheBestThreshold) {
    // Row 10 (left end) 0.9, row 5 (false positive) 0.95, row 17 0.3, others 0.1.
    std::vector<double> s(20, 0.1);
    s[10] = 0.9;
    s[5] = 0.95;
    s[17] = 0.3;
    CorpusSweep sweep;
    sweep.add_file(s, kWindow);
    const std::vector<ThresholdScore> rows = sweep.by_threshold(kStandard);
    ASSERT_EQ(rows.size(), 5u);  // 1.1 (nothing), 0.95, 0.9, 0.3, 0.1
    EXPECT_NEAR(rows[0].score, -1.0, 1e-12);
    EXPECT_NEAR(rows[1].score, -1.11, 1e-12);
    EXPECT_NEAR(rows[2].score, 1.0 - 0.11, 1e-12);
    EXPECT_NEAR(rows[3].score, 1.0 - 0.11 - 0.11 * 0.95404526018, 1e-9);  // row 17: 0.75 past
    const ThresholdScore best = sweep.best(kStandard);
    EXPECT_EQ(best.threshold, 0.9);
    EXPECT_NEAR(best.score, 0.89, 1e-12);
    EXPECT_EQ(best.tp, 1u);
    EXPECT_EQ(best.fp, 1u);
    EXPECT_EQ(best.windows_found, 1u);
    // Each threshold of the sweep scores as a fixed threshold does.
    for (const ThresholdScore& r : rows) EXPECT_NEAR(sweep.at(kStandard, r.threshold).score, r.score, 1e-12);
}

TEST(NabScoring, SweepUsesOneThresholdForTheWholeCorpus) {
    // File A finds its window at 0.8 only; file B raises a false positive at 0.7 before its window.
    std::vector<double> a(20, 0.0), b(20, 0.0);
    a[10] = 0.8;
    b[5] = 0.7;
    b[10] = 0.6;
    CorpusSweep sweep;
    sweep.add_file(a, kWindow);
    sweep.add_file(b, kWindow);
    EXPECT_EQ(sweep.windows(), 2u);
    // 0.8: +1 - 1 = 0; 0.7: +1 - 0.11 - 1 = -0.11; 0.6: +1 - 0.11 + 1 = 1.89.
    const ThresholdScore best = sweep.best(kStandard);
    EXPECT_EQ(best.threshold, 0.6);
    EXPECT_NEAR(best.score, 1.89, 1e-12);
}

TEST(NabScoring, AmongEqualScoresTheHighestThresholdWins) {
    std::vector<double> s(20, 0.0);
    s[10] = 0.9;
    s[12] = 0.8;  // inside the window, after its best: 0.8 scores as 0.9 does
    CorpusSweep sweep;
    sweep.add_file(s, kWindow);
    const std::vector<ThresholdScore> rows = sweep.by_threshold(kStandard);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[1].score, rows[2].score);
    EXPECT_EQ(sweep.best(kStandard).threshold, 0.9);
}

}  // namespace
}  // namespace kiln::nab
