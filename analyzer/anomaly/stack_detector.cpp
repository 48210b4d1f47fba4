#include "analyzer/anomaly/stack_detector.h"

#include <algorithm>
#include <cmath>
#include <map>


namespace kiln::analyzer {

namespace {
constexpr size_t kHistory = 64;
constexpr size_t kMinHistory = 4;
constexpr double kPriorDispersion = 2;
constexpr double kMinExpected = 5;

double xlogx_ratio(double o, double e) { return o > 0 && e > 0 ? o * std::log(o / e) : 0.0; }
}  // namespace

bool parse_sensitivity(const std::string& text, Sensitivity& out) {
    if (text == "low") out = Sensitivity::kLow;
    else if (text == "normal") out = Sensitivity::kNormal;
    else if (text == "high") out = Sensitivity::kHigh;
    else return false;
    return true;
}

const char* sensitivity_name(Sensitivity s) {
    return s == Sensitivity::kLow ? "low" : s == Sensitivity::kHigh ? "high" : "normal";
}

DetectorSettings detector_settings(Sensitivity s) {
    DetectorSettings d;
    if (s == Sensitivity::kLow) {
        d.alpha = 0.001;
        d.min_distance = 0.2;
    } else if (s == Sensitivity::kHigh) {
        d.alpha = 0.05;
        d.min_distance = 0.07;
    }
    return d;
}

double chi_square_upper_tail(double x, double df) {
    if (df <= 0) return 1.0;
    if (x <= 0) return 1.0;
    const double h = 2.0 / (9.0 * df);
    const double z = (std::cbrt(x / df) - (1.0 - h)) / std::sqrt(h);
    return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double js_distance(const std::vector<std::pair<uint32_t, double>>& a, const std::vector<std::pair<uint32_t, double>>& b) {
    double ta = 0, tb = 0;
    for (const auto& [k, n] : a) ta += n;
    for (const auto& [k, n] : b) tb += n;
    if (ta <= 0 || tb <= 0) return ta == tb ? 0.0 : 1.0;
    double js = 0;
    auto term = [](double p, double m) { return p > 0 ? p * std::log2(p / m) : 0.0; };
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        double p = 0, q = 0;
        if (j >= b.size() || (i < a.size() && a[i].first < b[j].first)) {
            p = a[i++].second / ta;
        } else if (i >= a.size() || b[j].first < a[i].first) {
            q = b[j++].second / tb;
        } else {
            p = a[i++].second / ta;
            q = b[j++].second / tb;
        }
        const double m = (p + q) / 2;
        js += 0.5 * term(p, m) + 0.5 * term(q, m);
    }
    return std::sqrt(std::clamp(js, 0.0, 1.0));
}

double StackDetector::median(std::deque<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double StackDetector::distance_floor() const {
    if (distances_.size() < kMinHistory) return settings_.min_distance;
    const double med = median(distances_);
    std::deque<double> dev;
    for (double d : distances_) dev.push_back(std::abs(d - med));
    return std::max(settings_.min_distance, med + 3 * 1.4826 * median(dev));
}

std::vector<std::pair<uint32_t, double>> StackDetector::baseline() const {
    std::vector<std::pair<uint32_t, double>> out(baseline_.begin(), baseline_.end());
    std::sort(out.begin(), out.end());
    return out;
}

void StackDetector::absorb(const StackWindow& w, double dispersion, double distance, bool judged) {
    for (const auto& [k, n] : w.counts) {
        double& count = baseline_[k];
        if (count > 0) by_count_.erase({count, k});
        count += n;
        by_count_.insert({count, k});
    }
    baseline_total_ += w.total;
    if (!judged) return;
    dispersions_.push_back(dispersion);
    if (distance >= 0) distances_.push_back(distance);
    if (dispersions_.size() > kHistory) dispersions_.pop_front();
    if (distances_.size() > kHistory) distances_.pop_front();
}

WindowVerdict StackDetector::judge(const StackWindow& w) {
    WindowVerdict v;
    if (w.total < settings_.min_samples) return v;  // too few samples to say anything: not absorbed either
    if (baseline_total_ < settings_.warmup_samples) {
        absorb(w, 0, 0, false);
        return v;
    }
    v.judged = true;
    // The distance is taken over the test's columns (rare stacks pooled): the tail of stacks
    // seen a few times each would otherwise make two windows of one program look far apart.
    std::vector<std::pair<uint32_t, double>> window_columns, base_columns;
    // The 2 x k table; columns whose expected count in the window is small are pooled.
    const double n1 = w.total, n2 = baseline_total_, n = n1 + n2;
    double g = 0, pooled1 = 0, pooled2 = 0;
    size_t columns = 0;
    auto column = [&](double o1, double o2) {
        const double c = o1 + o2;
        const double e1 = n1 * c / n, e2 = n2 * c / n;
        if (e1 < kMinExpected) {
            pooled1 += o1;
            pooled2 += o2;
            return;
        }
        g += xlogx_ratio(o1, e1) + xlogx_ratio(o2, e2);
        window_columns.emplace_back(static_cast<uint32_t>(columns), o1);
        base_columns.emplace_back(static_cast<uint32_t>(columns), o2);
        ++columns;
    };
    // The window's stacks, then the baseline's others: only those counted often enough for a
    // column of their own are visited (by_count_, largest first); the rest are pooled as one
    // sum, so a window costs its own stacks and the test's columns, not the baseline's size.
    double base_seen = 0;
    for (const auto& [k, o1] : w.counts) {
        const auto it = baseline_.find(k);
        const double o2 = it == baseline_.end() ? 0.0 : it->second;
        base_seen += o2;
        column(o1, o2);
    }
    const double own_column = kMinExpected * n / n1;  // a baseline-only stack's count for e1 >= kMinExpected
    for (auto it = by_count_.rbegin(); it != by_count_.rend() && it->first >= own_column; ++it) {
        const auto in_window = std::lower_bound(w.counts.begin(), w.counts.end(), it->second,
                                                [](const auto& c, uint32_t key) { return c.first < key; });
        if (in_window != w.counts.end() && in_window->first == it->second) continue;
        base_seen += it->first;
        column(0, it->first);
    }
    pooled2 += std::max(0.0, n2 - base_seen);
    if (pooled2 < 1e-9 * n2) pooled2 = 0;  // rounding of the sums
    if (pooled1 + pooled2 > 0) {
        const double c = pooled1 + pooled2;
        g += xlogx_ratio(pooled1, n1 * c / n) + xlogx_ratio(pooled2, n2 * c / n);
        window_columns.emplace_back(static_cast<uint32_t>(columns), pooled1);
        base_columns.emplace_back(static_cast<uint32_t>(columns), pooled2);
        ++columns;
    }
    v.distance = js_distance(window_columns, base_columns);
    g *= 2;
    const double df = std::max(1.0, static_cast<double>(columns) - 1);
    const double raw_dispersion = g / df;
    // Until a few normal windows have shown how clumped this program's samples are, assume
    // they are (twice the variance of independent draws) rather than not.
    v.dispersion = std::max(dispersions_.size() < kMinHistory ? kPriorDispersion : 1.0, median(dispersions_));
    const double p = chi_square_upper_tail(g / v.dispersion, df);
    v.p = std::min(1.0, p * static_cast<double>(windows_));
    v.score = v.p > 0 ? std::min(300.0, -std::log10(v.p)) : 300.0;
    v.anomalous = v.p < settings_.alpha && v.distance >= distance_floor();
    // A window that differs significantly but by less than the floor (a change's edge, half in
    // one window) joins the baseline but does not teach the floor: a recording with many such
    // edges would otherwise raise the floor over the changes themselves.
    if (!v.anomalous) absorb(w, raw_dispersion, v.p < settings_.alpha ? -1 : v.distance, true);
    return v;
}

}  // namespace kiln::analyzer
