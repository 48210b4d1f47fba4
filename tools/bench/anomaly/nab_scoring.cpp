#include "tools/bench/anomaly/nab_scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kiln::nab {

const Profile* find_profile(std::string_view name) {
    for (const Profile& p : kProfiles)
        if (name == p.name) return &p;
    return nullptr;
}

double scaled_sigmoid(double relative_position) {
    if (relative_position > 3.0) return -1.0;  // far past the window: a plain false positive
    return 2.0 / (1.0 + std::exp(5.0 * relative_position)) - 1.0;
}

size_t probationary_rows(size_t rows, double fraction) {
    const auto share = static_cast<size_t>(std::floor(fraction * static_cast<double>(rows)));
    // NAB caps it at fraction x 5000 rows (750 for its 15%).
    const auto cap = static_cast<size_t>(std::floor(fraction * 5000.0));
    return std::min(share, cap);
}

void CorpusSweep::add_file(const std::vector<double>& anomaly_scores, const std::vector<RowWindow>& windows) {
    const size_t n = anomaly_scores.size();
    const size_t probation = probationary_rows(n, probation_);
    const auto base = static_cast<int64_t>(windows_);
    windows_ += windows.size();
    scorable_.resize(windows_, 0);

    size_t next = 0;  // the next window to enter
    bool inside = false;
    size_t current = 0, right = 0;
    double width = 0;
    bool after_window = false;
    size_t prev_right = 0;
    double prev_width = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!inside && next < windows.size() && i == windows[next].first) {
            current = next++;
            inside = true;
            right = windows[current].last;
            width = static_cast<double>(right - windows[current].first + 1);
        }
        SweepPoint p;
        p.anomaly_score = anomaly_scores[i];
        if (inside) {
            p.sigmoid = scaled_sigmoid(-static_cast<double>(right - i + 1) / width);
            p.window = base + static_cast<int64_t>(current);
        } else if (!after_window) {
            p.sigmoid = -1.0;
        } else {
            // NAB divides by (width - 1); a one-row window would divide by zero there.
            const double span = std::max(prev_width - 1.0, 1.0);
            p.sigmoid = scaled_sigmoid(static_cast<double>(i - prev_right) / span);
        }
        if (i >= probation) {
            if (p.window != kOutside) scorable_[static_cast<size_t>(p.window)] = 1;
            points_.push_back(p);
        }
        if (inside && i == right) {
            inside = false;
            after_window = true;
            prev_right = i;
            prev_width = width;
        }
    }
}

double CorpusSweep::weighted(const SweepPoint& p, const Costs& c) const {
    static const double max_tp = scaled_sigmoid(-1.0);
    return p.window == kOutside ? p.sigmoid * c.fp : p.sigmoid * c.tp / max_tp;
}

size_t CorpusSweep::scorable_windows() const {
    return static_cast<size_t>(std::count(scorable_.begin(), scorable_.end(), 1));
}

std::vector<ThresholdScore> CorpusSweep::by_threshold(const Costs& c) const {
    std::vector<size_t> order(points_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return points_[a].anomaly_score > points_[b].anomaly_score; });

    std::vector<double> part(windows_, 0.0);
    std::vector<char> found(windows_, 0);
    double parts_sum = 0, fp_sum = 0;
    for (size_t w = 0; w < windows_; ++w)
        if (scorable_[w]) {
            part[w] = -c.fn;
            parts_sum -= c.fn;
        }
    ThresholdScore row;
    for (const SweepPoint& p : points_) (p.window == kOutside ? row.tn : row.fn) += 1;

    std::vector<ThresholdScore> rows;
    double threshold = 1.1;  // above every score: nothing detected
    auto save = [&] {
        row.threshold = threshold;
        row.score = fp_sum + parts_sum;
        rows.push_back(row);
    };
    for (size_t k : order) {
        const SweepPoint& p = points_[k];
        if (p.anomaly_score != threshold) {
            save();
            threshold = p.anomaly_score;
        }
        const double s = weighted(p, c);
        if (p.window == kOutside) {
            ++row.fp;
            --row.tn;
            fp_sum += s;
            continue;
        }
        ++row.tp;
        --row.fn;
        const auto w = static_cast<size_t>(p.window);
        if (!found[w]) {
            found[w] = 1;
            ++row.windows_found;
        }
        if (s > part[w]) {
            parts_sum += s - part[w];
            part[w] = s;
        }
    }
    save();
    return rows;
}

ThresholdScore CorpusSweep::best(const Costs& c) const {
    const std::vector<ThresholdScore> rows = by_threshold(c);
    // NAB sorts by score, stably: among equal scores the highest threshold wins.
    ThresholdScore top = rows.front();
    for (const ThresholdScore& r : rows)
        if (r.score > top.score) top = r;
    return top;
}

ThresholdScore CorpusSweep::at(const Costs& c, double threshold) const {
    ThresholdScore r;
    r.threshold = threshold;
    std::vector<double> part(windows_, 0.0);
    std::vector<char> found(windows_, 0);
    for (size_t w = 0; w < windows_; ++w)
        if (scorable_[w]) part[w] = -c.fn;
    double fp_sum = 0;
    for (const SweepPoint& p : points_) {
        const bool detected = p.anomaly_score >= threshold;
        if (p.window == kOutside) {
            if (!detected) {
                ++r.tn;
                continue;
            }
            ++r.fp;
            fp_sum += weighted(p, c);
            continue;
        }
        if (!detected) {
            ++r.fn;
            continue;
        }
        ++r.tp;
        const auto w = static_cast<size_t>(p.window);
        if (!found[w]) {
            found[w] = 1;
            ++r.windows_found;
        }
        part[w] = std::max(part[w], weighted(p, c));
    }
    r.score = fp_sum + std::accumulate(part.begin(), part.end(), 0.0);
    return r;
}

double CorpusSweep::null_score(const Costs& c) const {
    // The null detector gives every row one score, so its sweep has two thresholds: above it
    // (nothing detected) and at it (everything detected).
    const double nothing = -c.fn * static_cast<double>(scorable_windows());
    const double everything = at(c, -std::numeric_limits<double>::infinity()).score;
    return std::max(nothing, everything);
}

Normalized CorpusSweep::normalize(const Costs& c, double raw) const {
    Normalized n;
    n.raw = raw;
    n.null_score = null_score(c);
    n.perfect = perfect_score(c);
    if (n.perfect != n.null_score) n.score = 100.0 * (raw - n.null_score) / (n.perfect - n.null_score);
    return n;
}

}  // namespace kiln::nab
