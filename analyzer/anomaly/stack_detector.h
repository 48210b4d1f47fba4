// The streaming detector over windows of stack counts: each window is judged against what the
// recording has shown so far (the sum of the windows judged normal) and, when normal, joins it.
//
// Test: a G-test (log-likelihood ratio) of the 2 x k table window vs baseline, stacks whose
// expected count in the window is under 5 pooled into one column, referred to chi-square with
// k - 1 degrees of freedom. Samples of one window are not independent (a thread stays in a
// function for several samples), so G is divided by a dispersion estimated from the normal
// windows seen so far (the running median of G / df, at least 1, and 2 until four normal
// windows were judged: quasi-likelihood), and the
// p-value is Bonferroni-corrected over the windows. A significant window must also differ by an
// effect above the noise floor: its Jensen-Shannon distance to the baseline (0 to 1, over the
// test's columns, rare stacks pooled) at least
// the larger of a minimum and the median + 3 MADs of the distances of the normal windows that
// did not differ significantly (a change's edge, half in a window, does not raise it). The test's
// threshold thus scales with the samples in a window: small windows of a steady program do not
// look different for being small, large ones not for tiny shifts.
//
// Memory: the baseline's counts (one per distinct stack, also ordered by count) and the last 64
// normal windows' dispersion and distance: constant per window. Time per window: its own stacks
// and the baseline's stacks counted often enough for a column of their own (log of the baseline's
// size each), not the baseline's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <unordered_map>

#include "analyzer/anomaly/stack_windows.h"

namespace kiln::analyzer {

enum class Sensitivity { kLow, kNormal, kHigh };
bool parse_sensitivity(const std::string& text, Sensitivity& out);
const char* sensitivity_name(Sensitivity s);

struct DetectorSettings {
    double alpha = 0.01;           // family-wise, over all windows (Bonferroni)
    double min_distance = 0.12;    // Jensen-Shannon distance a change must reach at least
    double min_samples = kTargetWindowSamples / 4;  // fewer in a window: not judged
    double warmup_samples = kTargetWindowSamples;  // the baseline's size before judging starts
};
DetectorSettings detector_settings(Sensitivity s);

struct WindowVerdict {
    bool judged = false;      // false: too few samples, or the baseline still warming up
    bool anomalous = false;
    double p = 1;             // corrected p-value
    double score = 0;         // -log10(p), at most 300
    double distance = 0;      // Jensen-Shannon distance to the baseline
    double dispersion = 1;    // what G was divided by
};

// Jensen-Shannon distance (sqrt of the divergence, base 2) between two count vectors given as
// sorted (key, count) pairs.
double js_distance(const std::vector<std::pair<uint32_t, double>>& a, const std::vector<std::pair<uint32_t, double>>& b);

// Upper tail of chi-square with df degrees of freedom at x (Wilson-Hilferty; good to a few
// percent in the tail for df >= 1, exact enough for a threshold).
double chi_square_upper_tail(double x, double df);

class StackDetector {
public:
    StackDetector(DetectorSettings settings, size_t windows) : settings_(settings), windows_(windows ? windows : 1) {}
    WindowVerdict judge(const StackWindow& w);
    // A window of a baseline given by the user (--baseline-time): joins the baseline unjudged.
    void seed(const StackWindow& w) { absorb(w, 0, 0, false); }
    // No warm-up: the seeded baseline is what the windows are judged against.
    void seeded() { settings_.warmup_samples = 0; }
    // The baseline: the sum of the normal windows so far, by key.
    std::vector<std::pair<uint32_t, double>> baseline() const;
    double baseline_total() const { return baseline_total_; }
    double distance_floor() const;

private:
    static double median(std::deque<double> v);
    // distance < 0: the window does not teach the noise floor.
    void absorb(const StackWindow& w, double dispersion, double distance, bool judged);

    DetectorSettings settings_;
    size_t windows_;
    std::unordered_map<uint32_t, double> baseline_;
    std::set<std::pair<double, uint32_t>> by_count_;  // (count, key) of baseline_, by count
    double baseline_total_ = 0;
    std::deque<double> dispersions_, distances_;  // of the last normal windows judged
};

}  // namespace kiln::analyzer
