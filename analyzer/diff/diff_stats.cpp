#include "analyzer/diff/diff_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kiln::analyzer {

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

namespace {

// Continued fraction of the incomplete beta function (modified Lentz's method).
double beta_fraction(double a, double b, double x) {
    constexpr double kTiny = 1e-300, kEps = 1e-15;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (std::fabs(d) < kTiny) d = kTiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 500; ++m) {
        const double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + num * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1 + num / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + num * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1 + num / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1 / d;
        const double delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1) < kEps) break;
    }
    return h;
}

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }

}  // namespace

double incomplete_beta(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
    if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double student_t_two_sided_p(double t, double df) {
    if (!std::isfinite(df) || df <= 0 || df > 1e7) return normal_two_sided_p(t);
    return incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

ShareTest test_share_change(const ShareSample& base, const ShareSample& now) {
    ShareTest r;
    const double cb = std::accumulate(base.counts.begin(), base.counts.end(), 0.0);
    const double nb = std::accumulate(base.totals.begin(), base.totals.end(), 0.0);
    const double cn = std::accumulate(now.counts.begin(), now.counts.end(), 0.0);
    const double nn = std::accumulate(now.totals.begin(), now.totals.end(), 0.0);
    if (nb <= 0 || nn <= 0) return r;
    r.base_share = cb / nb;
    r.new_share = cn / nn;
    const double diff = r.new_share - r.base_share;
    // Binomial variance under "no change": the pooled share.
    const double pooled = (cb + cn) / (nb + nn);
    double vb = pooled * (1 - pooled) / nb, vn = pooled * (1 - pooled) / nn;
    // Between-run spread where a side has several runs: variance of the per-run shares / k.
    double welch_den = 0;
    bool spread_used = false;
    auto spread = [&](const ShareSample& s, double& v) {
        const size_t k = s.counts.size();
        if (k < 2) return;
        std::vector<double> shares(k);
        for (size_t i = 0; i < k; ++i) shares[i] = s.totals[i] > 0 ? s.counts[i] / s.totals[i] : 0;
        const double m = mean(shares);
        double ss = 0;
        for (double x : shares) ss += (x - m) * (x - m);
        const double between = ss / static_cast<double>(k - 1) / static_cast<double>(k);
        if (between > v) {
            v = between;
            spread_used = true;
            welch_den += v * v / static_cast<double>(k - 1);
        }
    };
    spread(base, vb);
    spread(now, vn);
    const double var = vb + vn;
    if (var <= 0) {
        r.p = diff == 0 ? 1.0 : 0.0;
        r.statistic = diff == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), diff);
        return r;
    }
    r.statistic = diff / std::sqrt(var);
    if (spread_used && welch_den > 0) {
        r.df = var * var / welch_den;  // Welch–Satterthwaite; binomial-only sides add no term
        r.p = student_t_two_sided_p(r.statistic, r.df);
    } else {
        r.p = normal_two_sided_p(r.statistic);
    }
    return r;
}

std::vector<double> adjust_p_values(const std::vector<double>& p, Correction c) {
    const size_t m = p.size();
    std::vector<double> out(m);
    if (m == 0) return out;
    std::vector<size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&p](size_t a, size_t b) { return p[a] < p[b]; });
    const double dm = static_cast<double>(m);
    switch (c) {
        case Correction::Bonferroni:
            for (size_t i = 0; i < m; ++i) out[i] = std::min(1.0, p[i] * dm);
            break;
        case Correction::Holm: {
            double running = 0;  // step-down: adjusted values never decrease along the order
            for (size_t r = 0; r < m; ++r) {
                running = std::max(running, std::min(1.0, (dm - static_cast<double>(r)) * p[order[r]]));
                out[order[r]] = running;
            }
            break;
        }
        case Correction::BenjaminiHochberg: {
            double running = 1;  // step-up: from the largest p down
            for (size_t r = m; r-- > 0;) {
                running = std::min(running, std::min(1.0, p[order[r]] * dm / static_cast<double>(r + 1)));
                out[order[r]] = running;
            }
            break;
        }
    }
    return out;
}

bool parse_correction(const std::string& name, Correction& out) {
    if (name == "holm") out = Correction::Holm;
    else if (name == "bonferroni") out = Correction::Bonferroni;
    else if (name == "bh" || name == "fdr") out = Correction::BenjaminiHochberg;
    else return false;
    return true;
}

const char* correction_name(Correction c) {
    switch (c) {
        case Correction::Holm: return "Holm";
        case Correction::Bonferroni: return "Bonferroni";
        case Correction::BenjaminiHochberg: return "Benjamini-Hochberg";
    }
    return "?";
}

}  // namespace kiln::analyzer
