#include "tools/bench/anomaly/candidate_detectors.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>

namespace kiln::nab {

namespace {

// A rarity s >= 0 as a score in [0, 1); monotone, so the sweep sees the same order.
double squash(double s) { return s <= 0 ? 0.0 : s / (1.0 + s); }

// Exponentially weighted mean and variance.
struct Ewma {
    double weight;
    double mean = 0, var = 0;
    size_t n = 0;
    void add(double x) {
        if (n++ == 0) {
            mean = x;
            return;
        }
        const double d = x - mean;
        mean += weight * d;
        var = (1 - weight) * (var + weight * d * d);
    }
    double z(double x) const {
        const double sd = std::max({std::sqrt(var), 0.05 * std::abs(mean), 1e-9});
        return (x - mean) / sd;
    }
};

// -log10 of the two-sided Gaussian tail probability of |z|: a rarity.
double tail_rarity(double z) {
    const double p = std::erfc(std::abs(z) / std::sqrt(2.0));
    return -std::log10(std::max(p, 1e-300));
}

// The current EWMA z-score, weight 0.1, anomalous values kept out of the mean.
std::vector<double> ewma_z(const std::vector<double>& v, double weight) {
    Ewma e{weight};
    std::vector<double> out;
    for (double x : v) {
        if (e.n < 8) {
            e.add(x);
            out.push_back(0);
            continue;
        }
        const double z = e.z(x);
        out.push_back(squash(std::abs(z) / 4.5));
        if (std::abs(z) < 4.5) e.add(x);
    }
    return out;
}

// NAB's windowed Gaussian, as described by NAB: mean and deviation of the last `window` values, the
// Gaussian tail probability of the new one (here as a rarity, -log10 p).
std::vector<double> windowed_gaussian(const std::vector<double>& v, size_t window) {
    std::deque<double> last;
    double sum = 0, sum2 = 0;
    std::vector<double> out;
    for (double x : v) {
        double s = 0;
        if (last.size() >= 10) {
            const double n = static_cast<double>(last.size());
            const double mean = sum / n;
            const double sd = std::sqrt(std::max(sum2 / n - mean * mean, 0.0));
            s = sd > 0 ? tail_rarity((x - mean) / sd) : (x != mean ? 300 : 0);
        }
        out.push_back(squash(s / 10));
        last.push_back(x);
        sum += x;
        sum2 += x * x;
        if (last.size() > window) {
            sum -= last.front();
            sum2 -= last.front() * last.front();
            last.pop_front();
        }
    }
    return out;
}

// Histogram rarity: values fall in bins over the range seen (a bin is 1/kBins of the range of
// the first values, the range grows by whole bins); counts decay so the histogram follows a new
// normal. Rarity: -log10 of the value's bin's share (with its two neighbours), new bins rarest.
// The same for the change from the previous value; the score is the larger of the two.
class BinnedRarity {
public:
    explicit BinnedRarity(double decay) : decay_(decay) {}
    double rarity(double x) {
        if (seen_ < kLearn) {
            learn_.push_back(x);
            if (++seen_ == kLearn) start();
            return 0;
        }
        const long b = bin_of(x);
        const double c = count(b - 1) + count(b) + count(b + 1);
        const double p = (c + 0.5) / (total_ + 0.5 * 3);
        add(b);
        return -std::log10(p);
    }

private:
    static constexpr size_t kLearn = 50;
    static constexpr double kBins = 40;
    double decay_;
    size_t seen_ = 0;
    std::vector<double> learn_;
    double lo_ = 0, width_ = 1;
    std::map<long, double> counts_;
    double total_ = 0;

    long bin_of(double x) const { return static_cast<long>(std::floor((x - lo_) / width_)); }
    double count(long b) const {
        auto it = counts_.find(b);
        return it == counts_.end() ? 0 : it->second;
    }
    void add(long b) {
        // Decay lazily: scale the new count up instead of every old one down.
        total_ = total_ * decay_ + 1;
        for (auto& [k, c] : counts_) c *= decay_;
        counts_[b] += 1;
    }
    void start() {
        auto [mn, mx] = std::minmax_element(learn_.begin(), learn_.end());
        lo_ = *mn;
        width_ = std::max((*mx - *mn) / kBins, std::max(std::abs(*mx), std::abs(*mn)) * 1e-3 + 1e-9);
        for (double x : learn_) add(bin_of(x));
        learn_.clear();
    }
};

std::vector<double> binned(const std::vector<double>& v, double decay, bool with_delta) {
    BinnedRarity level(decay), change(decay);
    std::vector<double> out;
    double prev = v.empty() ? 0 : v[0];
    for (double x : v) {
        double r = level.rarity(x);
        if (with_delta) r = std::max(r, change.rarity(x - prev));
        prev = x;
        out.push_back(squash(r));
    }
    return out;
}

// Keeps a score only when it is the highest of the last `span` values: one detection per event
// (NAB counts each flagged row outside a window as a false positive, and only the first inside).
std::vector<double> onsets(const std::vector<double>& s, size_t span, double margin = 0) {
    std::vector<double> out(s.size(), 0.0);
    std::deque<size_t> best;  // indices of a decreasing run of scores in the last span
    for (size_t i = 0; i < s.size(); ++i) {
        while (!best.empty() && best.front() + span < i) best.pop_front();
        const bool top = best.empty() || s[i] > s[best.front()] + margin;
        out[i] = top ? s[i] : 0.0;
        while (!best.empty() && s[best.back()] <= s[i]) best.pop_back();
        best.push_back(i);
    }
    return out;
}

// Mean and variance over everything seen, turning exponential (weight 1/horizon) once past the
// horizon: constant memory, and a lasting change becomes the normal after ~horizon values.
struct Running {
    double horizon;
    double n = 0, mean = 0, var = 0;
    void add(double x) {
        n += 1;
        const double w = 1.0 / std::min(n, horizon);
        const double d = x - mean;
        mean += w * d;
        var = (1 - w) * (var + w * d * d);
    }
    double rarity(double x) const {
        if (n < 10) return 0;
        const double sd = std::sqrt(var);
        if (sd <= 1e-12 * (std::abs(mean) + 1)) return x == mean ? 0 : 30;
        return tail_rarity((x - mean) / sd);
    }
};

// Rarity of several features of the series, each against its own long-run Gaussian: the value,
// its change from the previous one, the mean and the deviation of the last `shortn` values.
// mask bits: 1 value, 2 change, 4 short mean, 8 short deviation.
std::vector<double> features(const std::vector<double>& v, double horizon, size_t shortn, unsigned mask) {
    Running value{horizon}, change{horizon}, smean{horizon}, ssd{horizon};
    std::deque<double> last;
    double prev = v.empty() ? 0 : v[0];
    std::vector<double> out;
    for (double x : v) {
        last.push_back(x);
        if (last.size() > shortn) last.pop_front();
        double m = 0, m2 = 0;
        for (double y : last) m += y;
        m /= static_cast<double>(last.size());
        for (double y : last) m2 += (y - m) * (y - m);
        const double sd = std::sqrt(m2 / static_cast<double>(last.size()));
        double r = 0;
        if (mask & 1) r = std::max(r, value.rarity(x));
        if (mask & 2) r = std::max(r, change.rarity(x - prev));
        if (mask & 4) r = std::max(r, smean.rarity(m));
        if (mask & 8) r = std::max(r, ssd.rarity(sd));
        value.add(x);
        change.add(x - prev);
        if (last.size() == shortn) {
            smean.add(m);
            ssd.add(sd);
        }
        prev = x;
        out.push_back(squash(r / 10));
    }
    return out;
}

// FNV-1a over a context's bins.
uint64_t key_of(const std::deque<long>& bins) {
    uint64_t h = 1469598103934665603ull;
    for (long b : bins) h = (h ^ static_cast<uint64_t>(b)) * 1099511628211ull;
    return h;
}

// Context novelty: values quantized into `bins` bins over the range of the first `learn` values
// (bins beyond it for values outside), and the last `order` bins as a context; a context
// seen c times before scores 1 / (1 + c). Counts stop growing at kMaxContexts contexts.
std::vector<double> contexts(const std::vector<double>& v, size_t learn, double bins, size_t order) {
    constexpr size_t kMaxContexts = 100000;
    std::vector<double> out;
    double lo = 0, width = 1;
    std::deque<long> last;
    std::unordered_map<uint64_t, double> seen;
    for (size_t i = 0; i < v.size(); ++i) {
        if (i == std::min(learn, v.size() - 1)) {
            auto [mn, mx] = std::minmax_element(v.begin(), v.begin() + static_cast<long>(i) + 1);
            lo = *mn;
            width = std::max((*mx - *mn) / bins, std::max(std::abs(*mx), std::abs(*mn)) * 1e-3 + 1e-9);
            for (size_t j = 0; j <= i; ++j) {
                last.push_back(static_cast<long>(std::floor((v[j] - lo) / width)));
                if (last.size() > order) last.pop_front();
                if (last.size() == order) seen[key_of(last)] += 1;
            }
            out.assign(i + 1, 0.0);
            continue;
        }
        if (i < learn) continue;
        last.push_back(static_cast<long>(std::floor((v[i] - lo) / width)));
        if (last.size() > order) last.pop_front();
        const uint64_t h = key_of(last);
        auto it = seen.find(h);
        const double c = it == seen.end() ? 0 : it->second;
        out.push_back(1.0 / (1.0 + c));
        if (it != seen.end())
            it->second += 1;
        else if (seen.size() < kMaxContexts)
            seen[h] = 1;
    }
    return out;
}

// Distance novelty: as contexts() with order 1, but a value in a bin never visited scores by
// its distance (in bins) to the nearest visited bin: 0.5 + 0.5 d / (d + 1); a visited bin seen
// c times 0.5 / (1 + c). A slow drift enters new bins one at a time, a jump lands far.
std::vector<double> distance_novelty(const std::vector<double>& v, size_t learn, double bins) {
    std::vector<double> out;
    double lo = 0, width = 1;
    std::map<long, double> seen;
    for (size_t i = 0; i < v.size(); ++i) {
        if (i <= learn && i + 1 < v.size() && i < learn) {
            out.push_back(0);
            continue;
        }
        if (seen.empty()) {
            auto [mn, mx] = std::minmax_element(v.begin(), v.begin() + static_cast<long>(i));
            lo = *mn;
            width = std::max((*mx - *mn) / bins, std::max(std::abs(*mx), std::abs(*mn)) * 1e-3 + 1e-9);
            for (size_t j = 0; j < i; ++j) seen[static_cast<long>(std::floor((v[j] - lo) / width))] += 1;
        }
        const long b = static_cast<long>(std::floor((v[i] - lo) / width));
        auto it = seen.lower_bound(b);
        if (it != seen.end() && it->first == b) {
            out.push_back(0.5 / (1 + it->second));
            it->second += 1;
            continue;
        }
        long d = std::numeric_limits<long>::max();
        if (it != seen.end()) d = it->first - b;
        if (it != seen.begin()) d = std::min(d, b - std::prev(it)->first);
        const double dd = static_cast<double>(d);
        out.push_back(0.5 + 0.5 * dd / (dd + 1));
        seen[b] = 1;
    }
    return out;
}

// wa x a + (1 - wa) x b.
std::vector<double> blend(const std::vector<double>& a, const std::vector<double>& b, double wa) {
    std::vector<double> out(a.size());
    for (size_t i = 0; i < a.size(); ++i) out[i] = wa * a[i] + (1 - wa) * b[i];
    return out;
}

std::vector<double> changes_of(const std::vector<double>& v) {
    std::vector<double> out(v.size(), 0.0);
    for (size_t i = 1; i < v.size(); ++i) out[i] = v[i] - v[i - 1];
    return out;
}

// kiln's SeriesDetector's raw score (value-bin novelty, change novelty, Gaussian rarity; see
// analyzer/anomaly/series_detector.h), re-implemented with knobs for the variants measured on it.
struct VariantOptions {
    double value_weight = 0.6, change_weight = 0.1, rarity_weight = 0.3;
    double context_weight = 0;  // novelty of the tuple of the last `context_order` value bins
    size_t context_order = 2;
    double fine_weight = 0, coarse_weight = 0;  // novelty at 2x and 1/2x the bins (multi-resolution)
    double short_bin_weight = 0;                // novelty of the short mean's bin
    double spike_weight = 0;                    // spike density: large changes among the last values, a new high
    size_t spike_window = 50;
    double spike_z = 4;
    double onset_decay = 0;  // > 0: the onset must beat the recent best decayed by this per value
    size_t onset_span = 300;
    size_t refractory = 0;     // > 0: the margin applies only this near a kept onset
    double onset_margin = 0;   // the onset must beat the recent best by this much
    bool max_combine = false;  // max of (value, context) novelty instead of a weighted sum
    double context_bins = 20;  // bins of the contexts (over the same learned range)
    double calibrate = 0;      // > 0: context novelty x (1 - the recent rate of new contexts, over ~this many values)
    double novelty_rate_horizon = 0;  // > 0: scores x (1 - the rate of new-bin scores over ~this many values)
};

class VariantDetector {
public:
    explicit VariantDetector(const VariantOptions& o) : o_(o) {}

    // Bins of a fixed width once learned (the range of the first 250 values over `bins`).
    class Bins {
    public:
        explicit Bins(double bins) : bins_(bins) {}
        double novelty_then_add(double x) {
            if (!fixed_) {
                double novelty = 0;
                if (!first_.empty()) {
                    const auto [lo, hi] = std::minmax_element(first_.begin(), first_.end());
                    set_width(*lo, *hi);
                    const double outside = std::max(*lo - x, x - *hi);
                    novelty = outside > std::max(*hi - *lo, width_) ? 1.0 : 0.0;
                }
                first_.push_back(x);
                if (first_.size() == kLearn) {
                    const auto [lo, hi] = std::minmax_element(first_.begin(), first_.end());
                    set_width(*lo, *hi);
                    for (double y : first_) ++counts_[bin_of(y)];
                    fixed_ = true;
                }
                return novelty;
            }
            const int64_t b = bin_of(x);
            const auto it = counts_.find(b);
            if (it != counts_.end()) return 1.0 / (1.0 + it->second++);
            if (counts_.size() < 1024) counts_[b] = 1;
            return 1.0;
        }
        bool fixed() const { return fixed_; }
        const std::vector<double>& first() const { return first_; }
        void release() { first_ = {}; }
        int64_t bin_of(double x) const {
            return static_cast<int64_t>(std::clamp(std::floor((x - lo_) / width_), -1e15, 1e15));
        }

    private:
        static constexpr size_t kLearn = 250;
        double bins_;
        std::vector<double> first_;
        bool fixed_ = false;
        double lo_ = 0, width_ = 1;
        std::map<int64_t, uint32_t> counts_;
        void set_width(double lo, double hi) {
            lo_ = lo;
            width_ = std::max({(hi - lo) / bins_, 0.01 * std::max(std::abs(lo), std::abs(hi)), 1e-9});
        }
    };

    double raw(double x) {
        const double change = seen_ == 0 ? 0 : x - previous_;
        previous_ = x;
        last_.push_back(x);
        if (last_.size() > 10) last_.pop_front();
        double short_mean = 0;
        for (double y : last_) short_mean += y;
        short_mean /= static_cast<double>(last_.size());

        const double vn = values_.novelty_then_add(x);
        const double cn = changes_.novelty_then_add(change);
        const double fn = o_.fine_weight > 0 ? fine_.novelty_then_add(x) : 0;
        const double kn = o_.coarse_weight > 0 ? coarse_.novelty_then_add(x) : 0;
        const double sn = o_.short_bin_weight > 0 ? short_bins_.novelty_then_add(short_mean) : 0;
        const double xn = context_novelty(x);
        const double spike = spike_novelty(change);
        const double z = level_.z(x);
        double rarity = 0;
        if (seen_ >= 8) {
            rarity = tail_rarity(z);
            if (last_.size() == 10) rarity = std::max(rarity, tail_rarity(short_level_.z(short_mean)));
        }
        level_.add(x);
        if (last_.size() == 10) short_level_.add(short_mean);
        if (seen_++ < 8) return 0;
        double novelty =
            o_.max_combine ? std::max(vn, xn) * o_.value_weight : o_.value_weight * vn + o_.context_weight * xn;
        return novelty + o_.change_weight * cn + o_.fine_weight * fn + o_.coarse_weight * kn +
               o_.short_bin_weight * sn + o_.spike_weight * spike + o_.rarity_weight * rarity / (10.0 + rarity);
    }

private:
    struct Level {
        double n = 0, mean = 0, var = 0;
        void add(double x) {
            n += 1;
            const double w = 1.0 / std::min(n, 5000.0);
            const double d = x - mean;
            mean += w * d;
            var = (1 - w) * (var + w * d * d);
        }
        double z(double x) const { return (x - mean) / std::max({std::sqrt(var), 0.05 * std::abs(mean), 1e-9}); }
    };

    // Contexts are counted once the value bins are fixed (the learned values first); at most
    // kMaxContexts distinct contexts, a context beyond them is novel.
    double context_novelty(double x) {
        if (o_.context_weight <= 0 && !o_.max_combine) return 0;
        if (!values_.fixed()) return 0;
        if (!seeded_) {
            seeded_ = true;
            for (double y : values_.first()) count_context(context_bin(y));
            values_.release();
        }
        const double raw = count_context(context_bin(x));
        if (o_.calibrate <= 0) return raw;
        const double calibrated = raw * (1 - new_rate_);
        new_rate_ += ((raw >= 1 ? 1.0 : 0.0) - new_rate_) / o_.calibrate;
        return calibrated;
    }
    int64_t context_bin(double x) const {
        const double scale = 20.0 / o_.context_bins;
        return static_cast<int64_t>(std::floor(static_cast<double>(values_.bin_of(x)) / scale));
    }
    double count_context(int64_t b) {
        constexpr size_t kMaxContexts = 4096;
        context_.push_back(b);
        if (context_.size() > o_.context_order) context_.pop_front();
        if (context_.size() < o_.context_order) return 0;
        uint64_t h = 1469598103934665603ull;
        for (int64_t c : context_) h = (h ^ static_cast<uint64_t>(c)) * 1099511628211ull;
        const auto it = contexts_.find(h);
        if (it != contexts_.end()) return 1.0 / (1.0 + it->second++);
        if (contexts_.size() < kMaxContexts) contexts_[h] = 1;
        return 1.0;
    }
    // Large changes (|z| of the change against its long-run deviation) among the last
    // spike_window values; 1 when their count beats the highest count so far, once past 500 values.
    double spike_novelty(double change) {
        if (o_.spike_weight <= 0) return 0;
        const bool big = change_level_.n >= 50 && std::abs(change_level_.z(change)) >= o_.spike_z;
        change_level_.add(change);
        spikes_.push_back(big);
        spike_count_ += big;
        if (spikes_.size() > o_.spike_window) {
            spike_count_ -= spikes_.front();
            spikes_.pop_front();
        }
        double novelty = 0;
        if (spike_count_ > most_spikes_) {
            if (seen_ >= 500 && spike_count_ >= 2) novelty = 1;
            most_spikes_ = spike_count_;
        }
        return novelty;
    }

    VariantOptions o_;
    size_t seen_ = 0;
    double previous_ = 0;
    Bins values_{20}, changes_{20}, fine_{40}, coarse_{10}, short_bins_{20};
    Level level_, short_level_, change_level_;
    std::deque<double> last_;
    std::deque<int64_t> context_;
    std::unordered_map<uint64_t, uint32_t> contexts_;
    bool seeded_ = false;
    double new_rate_ = 0;
    std::deque<bool> spikes_;
    size_t spike_count_ = 0, most_spikes_ = 0;
};

// Onsets as onsets(), and within `near` values of a kept onset a new one must beat it by `margin`
// (an event's rising scores count once).
std::vector<double> refractory_onsets(const std::vector<double>& s, size_t span, size_t near, double margin) {
    std::vector<double> out = onsets(s, span);
    size_t last = 0;
    double last_score = -1;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] <= 0) continue;
        if (last_score >= 0 && i - last <= near && out[i] <= last_score + margin) {
            out[i] = 0;
            continue;
        }
        last = i;
        last_score = out[i];
    }
    return out;
}

// Decaying onsets: a score is kept when it beats the best recent score, which decays by
// `decay` per value (memory: one number).
std::vector<double> decaying_onsets(const std::vector<double>& s, double decay) {
    std::vector<double> out(s.size(), 0.0);
    double best = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        best *= decay;
        if (s[i] > best) {
            out[i] = s[i];
            best = s[i];
        }
    }
    return out;
}

std::vector<double> variant(const std::vector<double>& v, const VariantOptions& o) {
    VariantDetector d(o);
    std::vector<double> raw;
    raw.reserve(v.size());
    for (double x : v) raw.push_back(d.raw(x));
    if (o.novelty_rate_horizon > 0) {
        // Calibrated: x (1 - the recent rate of scores of 0.6 or more, a new bin's).
        double rate = 0;
        for (double& r : raw) {
            const double calibrated = r * (1 - rate);
            rate += ((r >= 0.6 ? 1.0 : 0.0) - rate) / o.novelty_rate_horizon;
            r = calibrated;
        }
    }
    if (o.refractory > 0) return refractory_onsets(raw, o.onset_span, o.refractory, o.onset_margin);
    return o.onset_decay > 0 ? decaying_onsets(raw, o.onset_decay) : onsets(raw, o.onset_span, o.onset_margin);
}

// VariantOptions with a few fields set.
VariantOptions with(const std::function<void(VariantOptions&)>& set) {
    VariantOptions o;
    set(o);
    return o;
}

using Candidate = std::function<std::vector<double>(const std::vector<double>&)>;

// The configurations in README.md's table; kOnset is the onset rule's span.
constexpr size_t kOnset = 300;
const std::map<std::string, Candidate>& candidates() {
    static const std::map<std::string, Candidate> all = {
        // The detector kiln had: EWMA z-score (weight 0.1), |z| >= 4.5 kept out of the mean.
        {"ewma-z", [](const auto& v) { return ewma_z(v, 0.1); }},
        {"ewma-z-slow", [](const auto& v) { return ewma_z(v, 0.01); }},
        {"ewma-z+onset", [](const auto& v) { return onsets(ewma_z(v, 0.1), kOnset); }},
        // NAB's windowedGaussian, re-implemented from its description (NAB's own: 39.6).
        {"windowed-gaussian", [](const auto& v) { return windowed_gaussian(v, 6400); }},
        {"windowed-gaussian+onset", [](const auto& v) { return onsets(windowed_gaussian(v, 6400), kOnset); }},
        // Histogram rarity of the value, and of the value or its change.
        {"histogram", [](const auto& v) { return binned(v, 0.999, false); }},
        {"histogram+change+onset", [](const auto& v) { return onsets(binned(v, 0.999, true), kOnset); }},
        // Gaussian rarity of the value and of the mean of the last 10 (long-run statistics).
        {"rarity+onset", [](const auto& v) { return onsets(features(v, 100000, 10, 5), kOnset); }},
        {"rarity4+onset", [](const auto& v) { return onsets(features(v, 100000, 10, 15), kOnset); }},
        // Novelty of contexts (pairs of value bins) and of value bins, blended with rarity.
        {"pair-novelty+rarity+onset",
         [](const auto& v) { return onsets(blend(features(v, 100000, 10, 5), contexts(v, 150, 10, 2), 0.5), kOnset); }},
        {"novelty+rarity+onset",
         [](const auto& v) { return onsets(blend(contexts(v, 250, 20, 1), features(v, 5000, 10, 5), 0.7), kOnset); }},
        {"distance-novelty+rarity+onset",
         [](const auto& v) {
             return onsets(blend(distance_novelty(v, 150, 20), features(v, 100000, 10, 5), 0.85), kOnset);
         }},
        // What kiln's SeriesDetector does, but silent while learning its bins (it is not).
        {"novelty+change+rarity+onset",
         [](const auto& v) {
             const std::vector<double> a = contexts(v, 250, 20, 1), b = contexts(changes_of(v), 250, 20, 1),
                                       f = features(v, 5000, 10, 5);
             std::vector<double> s(v.size());
             for (size_t i = 0; i < s.size(); ++i) s[i] = 0.6 * a[i] + 0.1 * b[i] + 0.3 * f[i];
             return onsets(s, kOnset);
         }},
        // kiln's SeriesDetector re-implemented with knobs (as "kiln" before the refractory rule:
        // 66.95), and the variants measured on it (RESULTS.md).
        {"kiln-variant", [](const auto& v) { return variant(v, {}); }},
        {"kiln+context2",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.context_weight = 0.1;
                                o.context_order = 2;
                            }));
         }},
        {"kiln+context3",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.context_weight = 0.1;
                                o.context_order = 3;
                            }));
         }},
        {"kiln+context3-10bins",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.context_weight = 0.05;
                                o.context_order = 3;
                                o.context_bins = 10;
                            }));
         }},
        {"kiln-max-context2",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.max_combine = true;
                                o.context_order = 2;
                            }));
         }},
        {"kiln-max-context3",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.max_combine = true;
                                o.context_order = 3;
                            }));
         }},
        {"kiln-max-context3-5bins-calibrated",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.max_combine = true;
                                o.context_order = 3;
                                o.context_bins = 5;
                                o.calibrate = 500;
                            }));
         }},
        {"kiln+fine-bins", [](const auto& v) { return variant(v, with([](auto& o) { o.fine_weight = 0.3; })); }},
        {"kiln+coarse-bins", [](const auto& v) { return variant(v, with([](auto& o) { o.coarse_weight = 0.3; })); }},
        {"kiln+short-mean-bin",
         [](const auto& v) { return variant(v, with([](auto& o) { o.short_bin_weight = 0.15; })); }},
        {"kiln+spike-density",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.spike_weight = 0.3;
                                o.spike_window = 30;
                            }));
         }},
        {"kiln-decaying-onset", [](const auto& v) { return variant(v, with([](auto& o) { o.onset_decay = 0.997; })); }},
        {"kiln-onset-margin", [](const auto& v) { return variant(v, with([](auto& o) { o.onset_margin = 0.05; })); }},
        {"kiln+refractory",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.refractory = 60;
                                o.onset_margin = 0.1;
                            }));
         }},
        {"kiln+refractory-span250",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.onset_span = 250;
                                o.refractory = 100;
                                o.onset_margin = 0.1;
                            }));
         }},
        {"kiln+refractory-novelty-rate",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.refractory = 60;
                                o.onset_margin = 0.1;
                                o.novelty_rate_horizon = 2000;
                            }));
         }},
        {"kiln+refractory+fine-bins",
         [](const auto& v) {
             return variant(v, with([](auto& o) {
                                o.refractory = 60;
                                o.onset_margin = 0.1;
                                o.fine_weight = 0.3;
                            }));
         }},
    };
    return all;
}

}  // namespace

std::vector<std::string> candidate_list() {
    std::vector<std::string> names;
    for (const auto& [name, run] : candidates()) names.push_back(name);
    return names;
}

std::vector<double> run_candidate(const std::string& name, const std::vector<double>& values) {
    const auto it = candidates().find(name);
    if (it == candidates().end()) throw std::invalid_argument("unknown detector " + name);
    return it->second(values);
}

}  // namespace kiln::nab
