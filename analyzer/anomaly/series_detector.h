// The anomalies view's univariate streaming detector for counter series (load, CPU busy,
// pressure, syscalls and faults per window). Chosen on the Numenta Anomaly Benchmark among
// EWMA z-scores, windowed Gaussians, histogram and context detectors (tools/bench/anomaly/,
// README "How the anomaly detectors were chosen"). Each value gets a score from three parts:
//
//   0.6 x novelty of the value: values fall in bins 1/20 of the range of the first 250 values
//         wide (the range so far until then); a bin seen c times before scores 1 / (1 + c), so a
//         value where the series has never been scores 1, and once there it becomes normal.
//   0.1 x novelty of the change from the previous value, binned the same way.
//   0.3 x Gaussian rarity: the larger -log10 two-sided tail probability of the value and of the
//         mean of the last 10 values, each against its long-run mean and deviation (exponential
//         over ~5000 values; the deviation at least 5% of the mean), as r / (10 + r).
//
// Only onsets count: the score is kept when it is the highest of the last 300 values, else 0
// (one detection per event, as the benchmark rewards); within 60 values of a kept onset it must
// also beat that onset's score by 0.1, so an event whose scores rise over a few values counts
// once. A value is anomalous when its score reaches the sensitivity's threshold (0.7, 0.62, 0.55
// for low, normal, high; the benchmark's best is ~0.63 for all three profiles), and so are the
// values after it that stay on its side of the mean at least half as far: one range per event.
// Ten anomalous values in a row make a new level, normal from then on. Without novelty the
// Gaussian part alone stays under every threshold, so a series that stays within where it has
// been is never flagged, however noisy. Until the bins are fixed, only a value beyond the range
// so far by at least that range is new. Memory is constant per series: 2 x 1024 bins (values,
// changes), 2 x 250 values while learning them, 300 recent scores and the last 10 values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "analyzer/anomaly/stack_detector.h"  // Sensitivity

namespace kiln::analyzer {

struct SeriesVerdict {
    bool judged = false, anomalous = false;
    double z = 0;         // (value - mean) / deviation, the long-run mean and deviation
    double expected = 0;  // the mean it was compared with
    double score = 0;     // 0 to 1: the onset score above (0 when not an onset)
};

class SeriesDetector {
public:
    // min_change: the smallest move that means something in the series' unit (a task, 5% of
    // CPU); bins are at least that wide and the deviation at least a third of it, so a series
    // sitting at 0 is not flagged for a tiny wobble. 0: none.
    explicit SeriesDetector(Sensitivity s, double min_change = 0);
    SeriesVerdict judge(double value);

    static double threshold_of(Sensitivity s);

private:
    // Where values have been, as counts per bin.
    class Bins {
    public:
        explicit Bins(double min_width) : min_width_(min_width) {}
        double novelty_then_add(double value);

    private:
        std::vector<double> first_;  // the first values, until the bins are fixed
        bool fixed_ = false;
        double lo_ = 0, width_ = 1, min_width_ = 0;
        std::map<int64_t, uint32_t> counts_;
        int64_t bin_of(double value) const;
        void set_width(double lo, double hi, double typical);
    };
    // A long-run mean and variance: plain until the horizon, exponential after.
    struct Running {
        double n = 0, mean = 0, var = 0, min_deviation = 0;
        void add(double value);
        double z(double value) const;
    };

    double threshold_, min_change_;
    size_t seen_ = 0;
    double previous_ = 0;
    Bins values_{min_change_}, changes_{min_change_};
    Running level_{0, 0, 0, min_change_ / 3}, short_level_{0, 0, 0, min_change_ / 3};
    std::deque<double> last_;                       // the last values, for their short mean
    std::deque<std::pair<size_t, double>> recent_;  // decreasing scores of the last onset span
    bool kept_ = false;                             // an onset was kept
    size_t kept_at_ = 0;                            // the last kept onset: when
    double kept_score_ = 0;                         // and its score
    size_t run_ = 0;                                // anomalous values in a row
    double onset_offset_ = 0;                       // the run's onset: how far from the mean it was (signed)
    double onset_expected_ = 0;                     // and that mean
};

}  // namespace kiln::analyzer
