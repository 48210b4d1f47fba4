#include "tools/bench/anomaly/candidate_detectors.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <cstdlib>
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
std::vector<double> onsets(const std::vector<double>& s, size_t span) {
    std::vector<double> out(s.size(), 0.0);
    std::deque<size_t> best;  // indices of a decreasing run of scores in the last span
    for (size_t i = 0; i < s.size(); ++i) {
        while (!best.empty() && best.front() + span < i) best.pop_front();
        const bool top = best.empty() || s[i] > s[best.front()];
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

// Each rarity over the largest one before it (that largest decaying by `decay` a value): a
// series that is always noisy must beat its own record to score high.
std::vector<double> records(const std::vector<double>& s, double decay) {
    std::vector<double> out;
    double record = 0;
    for (double x : s) {
        const double r = x / (1 - x);  // undo squash
        out.push_back(record > 0 ? squash(r / record) : (r > 0 ? 0.5 : 0));
        record = std::max(record * decay, r);
    }
    return out;
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
                if (last.size() == order) {
                    uint64_t h = 1469598103934665603ull;
                    for (long b : last) h = (h ^ static_cast<uint64_t>(b)) * 1099511628211ull;
                    seen[h] += 1;
                }
            }
            out.assign(i + 1, 0.0);
            continue;
        }
        if (i < learn) continue;
        last.push_back(static_cast<long>(std::floor((v[i] - lo) / width)));
        if (last.size() > order) last.pop_front();
        uint64_t h = 1469598103934665603ull;
        for (long b : last) h = (h ^ static_cast<uint64_t>(b)) * 1099511628211ull;
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

// The mean of two scores.
std::vector<double> blend(const std::vector<double>& a, const std::vector<double>& b, double wa) {
    std::vector<double> out(a.size());
    for (size_t i = 0; i < a.size(); ++i) out[i] = wa * a[i] + (1 - wa) * b[i];
    return out;
}

using Candidate = std::function<std::vector<double>(const std::vector<double>&)>;

const std::map<std::string, Candidate>& candidates() {
    static const std::map<std::string, Candidate> all = {
        {"ewma-z", [](const auto& v) { return ewma_z(v, 0.1); }},
        {"ewma-z-slow", [](const auto& v) { return ewma_z(v, 0.01); }},
        {"ewma-z+onset", [](const auto& v) { return onsets(ewma_z(v, 0.1), 100); }},
        {"gaussian-6400", [](const auto& v) { return windowed_gaussian(v, 6400); }},
        {"gaussian-6400+onset", [](const auto& v) { return onsets(windowed_gaussian(v, 6400), 100); }},
        {"binned", [](const auto& v) { return binned(v, 0.999, false); }},
        {"binned+delta", [](const auto& v) { return binned(v, 0.999, true); }},
        {"binned+onset", [](const auto& v) { return onsets(binned(v, 0.999, false), 100); }},
        {"binned+delta+onset", [](const auto& v) { return onsets(binned(v, 0.999, true), 100); }},
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
    if (it != candidates().end()) return it->second(values);
    // Experiments: "gauss:W:SPAN" (window W, onsets over SPAN; 0: none).
    if (name.rfind("gauss:", 0) == 0) {
        const size_t w = std::strtoul(name.c_str() + 6, nullptr, 10);
        const size_t span = std::strtoul(name.c_str() + name.rfind(':') + 1, nullptr, 10);
        std::vector<double> s = windowed_gaussian(values, w);
        return span ? onsets(s, span) : s;
    }
    // "ctx:LEARN:BINS:ORDER:SPAN[:FEATWEIGHT]" (blended with feat:100000:10:5)
    if (name.rfind("ctx:", 0) == 0) {
        char* p = nullptr;
        const size_t learn = std::strtoul(name.c_str() + 4, &p, 10);
        const double bins = std::strtod(p + 1, &p);
        const size_t order = std::strtoul(p + 1, &p, 10);
        const size_t span = std::strtoul(p + 1, &p, 10);
        std::vector<double> s = contexts(values, learn, bins, order);
        if (*p == ':') s = blend(features(values, 100000, 10, 5), s, std::strtod(p + 1, &p));
        return span ? onsets(s, span) : s;
    }
    // "mix:LEARN:BINS:A:B:SPAN": A x value-bin novelty + B x bin-pair novelty + the rest x feat.
    if (name.rfind("mix:", 0) == 0) {
        char* p = nullptr;
        const size_t learn = std::strtoul(name.c_str() + 4, &p, 10);
        const double bins = std::strtod(p + 1, &p);
        const double a = std::strtod(p + 1, &p);
        const double b = std::strtod(p + 1, &p);
        const size_t span = std::strtoul(p + 1, &p, 10);
        const double horizon = *p == ':' ? std::strtod(p + 1, &p) : 100000;
        const size_t shortn = *p == ':' ? std::strtoul(p + 1, &p, 10) : 10;
        const unsigned mask = *p == ':' ? static_cast<unsigned>(std::strtoul(p + 1, &p, 10)) : 5;
        const std::vector<double> one = contexts(values, learn, bins, 1), two = contexts(values, learn, bins, 2),
                                  feat = features(values, horizon, shortn, mask);
        std::vector<double> s(values.size());
        if (b < 0) {  // B < 0: -B x novelty of the change from the previous value instead of pairs
            std::vector<double> changes(values.size(), 0.0);
            for (size_t i = 1; i < values.size(); ++i) changes[i] = values[i] - values[i - 1];
            const std::vector<double> dn = contexts(changes, learn, bins, 1);
            for (size_t i = 0; i < s.size(); ++i) s[i] = a * one[i] - b * dn[i] + (1 - a + b) * feat[i];
            return span ? onsets(s, span) : s;
        }
        for (size_t i = 0; i < s.size(); ++i) s[i] = a * one[i] + b * two[i] + (1 - a - b) * feat[i];
        return span ? onsets(s, span) : s;
    }
    // "far:LEARN:BINS:A:SPAN": A x distance novelty + the rest x feat.
    if (name.rfind("far:", 0) == 0) {
        char* p = nullptr;
        const size_t learn = std::strtoul(name.c_str() + 4, &p, 10);
        const double bins = std::strtod(p + 1, &p);
        const double a = std::strtod(p + 1, &p);
        const size_t span = std::strtoul(p + 1, &p, 10);
        const std::vector<double> one = distance_novelty(values, learn, bins), feat = features(values, 100000, 10, 5);
        std::vector<double> s(values.size());
        for (size_t i = 0; i < s.size(); ++i) s[i] = a * one[i] + (1 - a) * feat[i];
        return span ? onsets(s, span) : s;
    }
    // "feat:HORIZON:SHORT:MASK:SPAN"
    if (name.rfind("feat:", 0) == 0) {
        char* p = nullptr;
        const double horizon = std::strtod(name.c_str() + 5, &p);
        const size_t shortn = std::strtoul(p + 1, &p, 10);
        const unsigned mask = static_cast<unsigned>(std::strtoul(p + 1, &p, 10));
        const size_t span = std::strtoul(p + 1, &p, 10);
        std::vector<double> s = features(values, horizon, shortn, mask);
        if (*p == ':') s = records(s, std::strtod(p + 1, &p));
        return span ? onsets(s, span) : s;
    }
    throw std::invalid_argument("unknown detector " + name);
}

}  // namespace kiln::nab
