// The anomalies view's univariate streaming detector for counter series (load, CPU busy,
// pressure, syscalls and faults per window): each value is compared with an exponentially
// weighted mean and variance of the normal values before it (weight 0.1, after 8 values), and
// is anomalous when it lies at least a threshold of standard deviations away (6, 4.5 or 3.5 for
// low, normal and high sensitivity). The deviation has a floor of 5% of the mean (and of a
// small absolute value), so a flat series is not flagged for a tiny wobble. Anomalous values do
// not join the mean; ten in a row make a new level, which then becomes normal. Constant memory.
// A first detector, to be chosen against others on the NAB benchmark.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analyzer/anomaly/stack_detector.h"  // Sensitivity

namespace kiln::analyzer {

struct SeriesVerdict {
    bool judged = false, anomalous = false;
    double z = 0;         // (value - mean) / deviation
    double expected = 0;  // the mean it was compared with
    double score = 0;     // how anomalous, 0 to 1, for sweeping a threshold (NAB)
};

class SeriesDetector {
public:
    explicit SeriesDetector(Sensitivity s);
    SeriesVerdict judge(double value);

private:
    static constexpr double kWeight = 0.1;
    static constexpr size_t kWarmup = 8, kNewLevel = 10;
    double threshold_;
    double mean_ = 0, variance_ = 0;
    size_t seen_ = 0;
    std::vector<double> run_;  // the anomalous values in a row, to start a new level from
    void update(double value);
};

}  // namespace kiln::analyzer
