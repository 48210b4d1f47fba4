#include "analyzer/anomaly/series_detector.h"

#include <algorithm>
#include <cmath>

namespace kiln::analyzer {

namespace {
constexpr double kRelativeFloor = 0.05, kAbsoluteFloor = 1e-6;
}

SeriesDetector::SeriesDetector(Sensitivity s)
    : threshold_(s == Sensitivity::kLow ? 6.0 : s == Sensitivity::kHigh ? 3.5 : 4.5) {}

void SeriesDetector::update(double value) {
    if (seen_ == 0) {
        mean_ = value;
        variance_ = 0;
    } else {
        const double d = value - mean_;
        mean_ += kWeight * d;
        variance_ = (1 - kWeight) * (variance_ + kWeight * d * d);
    }
    ++seen_;
}

SeriesVerdict SeriesDetector::judge(double value) {
    SeriesVerdict v;
    if (!std::isfinite(value)) return v;
    if (seen_ < kWarmup) {
        update(value);
        return v;
    }
    v.judged = true;
    v.expected = mean_;
    const double deviation = std::max({std::sqrt(variance_), kRelativeFloor * std::abs(mean_), kAbsoluteFloor});
    v.z = (value - mean_) / deviation;
    v.anomalous = std::abs(v.z) >= threshold_;
    v.score = std::min(1.0, std::abs(v.z) / 12.0);
    if (!v.anomalous) {
        run_.clear();
        update(value);
        return v;
    }
    run_.push_back(value);
    if (run_.size() >= kNewLevel) {  // a lasting change: the new level is the normal now
        seen_ = 0;
        for (double x : run_) update(x);
        run_.clear();
    }
    return v;
}

}  // namespace kiln::analyzer
