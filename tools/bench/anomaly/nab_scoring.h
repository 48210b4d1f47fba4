// The Numenta Anomaly Benchmark's scoring, ported from its description and scorer (nab/sweeper.py):
//
// - Each labelled anomaly is a window of rows. A detection inside a window scores by where it
//   lies: the scaled sigmoid 2/(1 + e^(5x)) - 1 of its position x relative to the window's
//   right end (x = -1 at the left end: ~0.987, rescaled to the profile's TP weight; x -> 0 at
//   the right end). Only the best (earliest) detection of a window counts; a window without one
//   costs the FN weight.
// - A detection outside every window is a false positive, each row on its own, weighted by its
//   distance past the preceding window's right end in units of that window's width (the same
//   sigmoid, negative past the end, -1 beyond three widths) times the FP weight; -1 x FP weight
//   before the first window.
// - The first 15% of each file's rows (at most 750) are probationary: not scored at all. A window
//   all inside it is neither found nor missed.
// - One threshold over the whole corpus: every distinct anomaly score is tried (a row is a
//   detection when its score >= the threshold) and the best total kept.
// - Normalized score: 100 (raw - null) / (perfect - null), where null is the best the null
//   detector (one constant score for every row) can do and perfect is TP weight x windows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kiln::nab {

struct Costs {
    double tp = 1, fp = 0.11, fn = 1;
};

struct Profile {
    const char* name;
    Costs costs;
};

// NAB's three application profiles (config/profiles.json).
inline constexpr Profile kProfiles[] = {
    {"standard", {1.0, 0.11, 1.0}},
    {"reward_low_FP_rate", {1.0, 0.22, 1.0}},
    {"reward_low_FN_rate", {1.0, 0.11, 2.0}},
};
const Profile* find_profile(std::string_view name);

inline constexpr double kProbationFraction = 0.15;
inline constexpr size_t kMaxProbationRows = 750;  // NAB: 0.15 x 5000

double scaled_sigmoid(double relative_position);
size_t probationary_rows(size_t rows, double fraction = kProbationFraction);

// A labelled window as the indices of its first and last rows in its file.
struct RowWindow {
    size_t first = 0, last = 0;
};

// One scored row of the sweep: its anomaly score, its unweighted sigmoid and the corpus-wide id
// of its window (kOutside when in none).
struct SweepPoint {
    double anomaly_score = 0;
    double sigmoid = 0;
    int64_t window = -1;
};
inline constexpr int64_t kOutside = -1;

struct ThresholdScore {
    double threshold = 0;
    double score = 0;                       // raw, with the profile's weights
    size_t tp = 0, tn = 0, fp = 0, fn = 0;  // rows, as NAB counts them
    size_t windows_found = 0;               // windows with at least one detection
};

struct Normalized {
    double raw = 0, null_score = 0, perfect = 0;
    double score = 0;  // 100 (raw - null) / (perfect - null); 0 when perfect == null
};

// The rows of many files, labelled once and scored under any profile and threshold.
class CorpusSweep {
public:
    explicit CorpusSweep(double probation = kProbationFraction) : probation_(probation) {}

    // Adds one file: its rows' anomaly scores and its windows (in order, not overlapping).
    void add_file(const std::vector<double>& anomaly_scores, const std::vector<RowWindow>& windows);

    // The score at every distinct threshold, highest first (the first has threshold 1.1:
    // nothing detected).
    std::vector<ThresholdScore> by_threshold(const Costs& c) const;
    // The best of by_threshold (the highest threshold among equal scores).
    ThresholdScore best(const Costs& c) const;
    // The score with rows detected when their anomaly score >= threshold.
    ThresholdScore at(const Costs& c, double threshold) const;

    double null_score(const Costs& c) const;
    double perfect_score(const Costs& c) const { return c.tp * static_cast<double>(windows_); }
    Normalized normalize(const Costs& c, double raw) const;

    size_t windows() const { return windows_; }
    size_t scorable_windows() const;
    const std::vector<SweepPoint>& points() const { return points_; }

private:
    double probation_;
    std::vector<SweepPoint> points_;  // probationary rows left out
    std::vector<char> scorable_;      // per window: has a row after the probation
    size_t windows_ = 0;

    double weighted(const SweepPoint& p, const Costs& c) const;
};

}  // namespace kiln::nab
