#include "analyzer/anomaly/series_detector.h"

#include <algorithm>
#include <cmath>

namespace kiln::analyzer {

namespace {
constexpr size_t kWarmup = 8;              // values before any is judged
constexpr size_t kLearn = 250;             // values whose range sets the bins' width
constexpr double kBins = 20;               // bins over that range
constexpr size_t kMaxBins = 1024;          // bins counted at most; a value in another is novel
constexpr double kHorizon = 5000;          // values the long-run mean and variance remember
constexpr size_t kShort = 10;              // values of the short mean
constexpr size_t kOnsetSpan = 300;         // values an onset must be the highest of
constexpr size_t kNewLevel = 10;           // anomalous values in a row that make a new normal
constexpr size_t kRefractory = 60;         // values after a kept onset in which a new one must beat it
constexpr double kRefractoryMargin = 0.1;  // by this much
constexpr double kRelativeFloor = 0.05, kAbsoluteFloor = 1e-9;
constexpr double kValueWeight = 0.6, kChangeWeight = 0.1, kRarityWeight = 0.3;

// -log10 of the two-sided Gaussian tail probability beyond |z|.
double tail_rarity(double z) {
    const double p = std::erfc(std::abs(z) / std::sqrt(2.0));
    return -std::log10(std::max(p, 1e-300));
}
}  // namespace

double SeriesDetector::threshold_of(Sensitivity s) {
    return s == Sensitivity::kLow ? 0.7 : s == Sensitivity::kHigh ? 0.55 : 0.62;
}

SeriesDetector::SeriesDetector(Sensitivity s, double min_change)
    : threshold_(threshold_of(s)), min_change_(std::max(min_change, 0.0)) {}

void SeriesDetector::Bins::set_width(double lo, double hi, double typical) {
    lo_ = lo;
    // A flat start must not make every later wobble a new bin: at least 1% of the typical size.
    width_ = std::max({(hi - lo) / kBins, 0.01 * std::abs(typical), min_width_, kAbsoluteFloor});
}

int64_t SeriesDetector::Bins::bin_of(double value) const {
    const double b = std::floor((value - lo_) / width_);
    return static_cast<int64_t>(std::clamp(b, -1e15, 1e15));
}

double SeriesDetector::Bins::novelty_then_add(double value) {
    if (!fixed_) {
        // Until the bins are fixed, the bins of a few values say little: only a value far outside
        // the range so far (by as much as that range) is new; a series still showing its range is not.
        double novelty = 0;
        if (!first_.empty()) {
            const auto [lo, hi] = std::minmax_element(first_.begin(), first_.end());
            set_width(*lo, *hi, std::max(std::abs(*lo), std::abs(*hi)));
            const double outside = std::max(*lo - value, value - *hi);
            novelty = outside > std::max(*hi - *lo, width_) ? 1.0 : 0.0;
        }
        first_.push_back(value);
        if (first_.size() == kLearn) {  // the bins are fixed from here on
            const auto [lo, hi] = std::minmax_element(first_.begin(), first_.end());
            set_width(*lo, *hi, std::max(std::abs(*lo), std::abs(*hi)));
            for (double x : first_) ++counts_[bin_of(x)];
            first_ = {};
            fixed_ = true;
        }
        return novelty;
    }
    const int64_t b = bin_of(value);
    const auto it = counts_.find(b);
    if (it != counts_.end()) {
        const double novelty = 1.0 / (1.0 + it->second);
        if (it->second < UINT32_MAX) ++it->second;
        return novelty;
    }
    if (counts_.size() < kMaxBins) counts_[b] = 1;
    return 1.0;
}

void SeriesDetector::Running::add(double value) {
    n += 1;
    const double w = 1.0 / std::min(n, kHorizon);
    const double d = value - mean;
    mean += w * d;
    var = (1 - w) * (var + w * d * d);
}

double SeriesDetector::Running::z(double value) const {
    const double deviation = std::max({std::sqrt(var), kRelativeFloor * std::abs(mean), min_deviation, kAbsoluteFloor});
    return (value - mean) / deviation;
}

SeriesVerdict SeriesDetector::judge(double value) {
    SeriesVerdict v;
    if (!std::isfinite(value)) return v;
    const double change = seen_ == 0 ? 0 : value - previous_;
    previous_ = value;
    last_.push_back(value);
    if (last_.size() > kShort) last_.pop_front();
    double short_mean = 0;
    for (double x : last_) short_mean += x;
    short_mean /= static_cast<double>(last_.size());

    const double value_novelty = values_.novelty_then_add(value);
    const double change_novelty = changes_.novelty_then_add(change);
    v.expected = level_.mean;
    v.z = level_.z(value);
    double rarity = 0;
    if (seen_ >= kWarmup) {
        rarity = tail_rarity(v.z);
        if (last_.size() == kShort) rarity = std::max(rarity, tail_rarity(short_level_.z(short_mean)));
    }
    level_.add(value);
    if (last_.size() == kShort) short_level_.add(short_mean);

    const size_t i = seen_++;
    double raw = 0;
    if (i >= kWarmup)
        raw = kValueWeight * value_novelty + kChangeWeight * change_novelty + kRarityWeight * rarity / (10.0 + rarity);
    // The onset rule: the highest of the last kOnsetSpan raw scores, or 0.
    while (!recent_.empty() && recent_.front().first + kOnsetSpan < i) recent_.pop_front();
    bool onset = recent_.empty() || raw > recent_.front().second;
    while (!recent_.empty() && recent_.back().second <= raw) recent_.pop_back();
    recent_.emplace_back(i, raw);
    // An event's rising scores count once: soon after a kept onset, a new one must beat it clearly.
    if (onset && raw > 0) {
        if (kept_ && i - kept_at_ <= kRefractory && raw <= kept_score_ + kRefractoryMargin) {
            onset = false;
        } else {
            kept_ = true;
            kept_at_ = i;
            kept_score_ = raw;
        }
    }
    if (i < kWarmup) return v;
    v.judged = true;
    v.score = onset ? raw : 0.0;
    // An event goes on while the values stay on the onset's side of its mean, half as far.
    const double offset = value - onset_expected_;
    const bool goes_on =
        run_ > 0 && run_ < kNewLevel && offset * onset_offset_ > 0 && std::abs(offset) >= 0.5 * std::abs(onset_offset_);
    v.anomalous = v.score >= threshold_ || goes_on;
    if (!v.anomalous) {
        run_ = 0;
    } else if (!goes_on) {
        run_ = 1;
        onset_expected_ = v.expected;
        onset_offset_ = value - v.expected;
    } else {
        ++run_;
    }
    return v;
}

}  // namespace kiln::analyzer
