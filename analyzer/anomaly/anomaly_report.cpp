#include "analyzer/anomaly/anomaly_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "analyzer/diff/diff_stats.h"

namespace kiln::analyzer {

namespace {

constexpr double kSignificant = 0.01;   // adjusted p of a function's change
constexpr double kMinShareChange = 0.02;
constexpr size_t kMaxClustered = 500;   // anomalous windows clustered (the rest join the nearest kind)

using Counts = std::vector<std::pair<uint32_t, double>>;

void add_into(std::map<uint32_t, double>& to, const Counts& from) {
    for (const auto& [k, n] : from) to[k] += n;
}

Counts as_counts(const std::map<uint32_t, double>& m) { return Counts(m.begin(), m.end()); }

constexpr double kKindCut = 0.5;  // Jensen-Shannon distance between the excesses of two kinds

// The share of each stack in a above its share in b, where positive (as weights).
Counts excess_over(const Counts& a, const Counts& b) {
    double ta = 0, tb = 0;
    for (const auto& [k, n] : a) ta += n;
    for (const auto& [k, n] : b) tb += n;
    Counts out;
    if (ta <= 0) return out;
    size_t j = 0;
    for (const auto& [k, n] : a) {
        while (j < b.size() && b[j].first < k) ++j;
        const double q = j < b.size() && b[j].first == k && tb > 0 ? b[j].second / tb : 0.0;
        const double d = n / ta - q;
        if (d > 0) out.emplace_back(k, d);
    }
    if (out.empty()) out = a;  // nothing grew (a shrink only): the window itself
    return out;
}

double seconds(uint64_t start_ns, uint64_t t) { return t > start_ns ? static_cast<double>(t - start_ns) / 1e9 : 0.0; }

}  // namespace

std::vector<std::string_view> functions_of(const std::string& key) {
    std::vector<std::string_view> out;
    std::string_view rest(key);
    const size_t first = rest.find(';');
    if (first == std::string_view::npos) return out;
    rest.remove_prefix(first + 1);
    while (!rest.empty()) {
        const size_t semi = rest.find(';');
        out.push_back(rest.substr(0, semi));
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
    }
    return out;
}

namespace {

// Average-linkage clustering of the windows' distributions, merged while the closest pair of
// clusters is nearer than cut. Returns a cluster id per window, numbered from 1 in order of
// first appearance.
std::vector<int> cluster(const std::vector<Counts>& windows, double cut) {
    const size_t n = std::min(windows.size(), kMaxClustered);
    std::vector<std::vector<double>> d(n, std::vector<double>(n, 0));
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) d[i][j] = d[j][i] = js_distance(windows[i], windows[j]);
    std::vector<std::vector<size_t>> members(n);
    for (size_t i = 0; i < n; ++i) members[i] = {i};
    std::vector<bool> alive(n, true);
    auto linkage = [&](size_t a, size_t b) {
        double sum = 0;
        for (size_t x : members[a])
            for (size_t y : members[b]) sum += d[x][y];
        return sum / static_cast<double>(members[a].size() * members[b].size());
    };
    for (;;) {
        double best = cut;
        size_t ba = n, bb = n;
        for (size_t a = 0; a < n; ++a)
            for (size_t b = a + 1; b < n; ++b)
                if (alive[a] && alive[b]) {
                    const double l = linkage(a, b);
                    if (l < best) best = l, ba = a, bb = b;
                }
        if (ba == n) break;
        members[ba].insert(members[ba].end(), members[bb].begin(), members[bb].end());
        members[bb].clear();
        alive[bb] = false;
    }
    std::vector<int> of(windows.size(), 0);
    std::vector<size_t> order;
    for (size_t c = 0; c < n; ++c)
        if (alive[c]) order.push_back(c);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return *std::min_element(members[a].begin(), members[a].end()) <
               *std::min_element(members[b].begin(), members[b].end());
    });
    for (size_t k = 0; k < order.size(); ++k)
        for (size_t w : members[order[k]]) of[w] = static_cast<int>(k + 1);
    // Windows past the clustered ones join the kind of their nearest clustered window.
    for (size_t w = n; w < windows.size(); ++w) {
        double best = 2;
        for (size_t c = 0; c < n; ++c) {
            const double dist = js_distance(windows[w], windows[c]);
            if (dist < best) best = dist, of[w] = of[c];
        }
    }
    return of;
}

std::string label_of(const std::vector<FunctionChange>& changes) {
    std::string label;
    int named = 0;
    for (const auto& c : changes) {
        if (c.share_after <= c.share_before) continue;
        char buf[64];
        std::snprintf(buf, sizeof buf, " +%.0f%%", (c.share_after - c.share_before) * 100);
        label += (label.empty() ? "" : ", ") + c.function + buf;
        if (++named == 2) break;
    }
    if (!label.empty()) return label;
    for (const auto& c : changes) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " %.0f%%", (c.share_after - c.share_before) * 100);
        return c.function + buf;
    }
    return "no function changed significantly";
}

}  // namespace

std::vector<FunctionChange> changed_functions(const std::vector<std::string>& keys, const Counts& before,
                                              const Counts& after, size_t most) {
    std::unordered_map<std::string_view, std::pair<double, double>> counts;  // function -> before, after
    double total_before = 0, total_after = 0;
    auto count = [&](const Counts& c, bool is_after, double& total) {
        for (const auto& [k, n] : c) {
            total += n;
            std::set<std::string_view> seen;
            for (std::string_view f : functions_of(keys[k]))
                if (seen.insert(f).second) (is_after ? counts[f].second : counts[f].first) += n;
        }
    };
    count(before, false, total_before);
    count(after, true, total_after);
    std::vector<FunctionChange> out;
    std::vector<double> p;
    if (total_before <= 0 || total_after <= 0) return out;
    for (const auto& [f, c] : counts) {
        const ShareTest t = test_share_change({{c.first}, {total_before}}, {{c.second}, {total_after}});
        out.push_back({std::string(f), c.first / total_before, c.second / total_after, t.p});
        p.push_back(t.p);
    }
    const auto adjusted = adjust_p_values(p, Correction::Holm);
    for (size_t i = 0; i < out.size(); ++i) out[i].p = adjusted[i];
    std::erase_if(out, [](const FunctionChange& c) {
        return c.p >= kSignificant || std::abs(c.share_after - c.share_before) < kMinShareChange;
    });
    std::sort(out.begin(), out.end(), [](const FunctionChange& a, const FunctionChange& b) {
        const double da = std::abs(a.share_after - a.share_before), db = std::abs(b.share_after - b.share_before);
        return da != db ? da > db : a.function < b.function;
    });
    if (out.size() > most) out.resize(most);
    return out;
}

AnomalyReport find_anomalies(WindowedStacks stacks, uint64_t end_ns, const AnomalyOptions& options) {
    AnomalyReport r;
    r.sensitivity = options.sensitivity;
    const uint64_t duration = end_ns > stacks.start_ns ? end_ns - stacks.start_ns : 0;
    const size_t buckets = buckets_per_window(stacks, options.window_ns, duration, r.window_why);
    r.window_ns = buckets * stacks.bucket_ns;
    const std::vector<StackWindow> windows = merge_windows(stacks, buckets, end_ns);
    StackDetector detector(detector_settings(options.sensitivity), windows.size());
    std::vector<bool> in_baseline(windows.size(), false);
    if (options.baseline_s) {
        for (size_t i = 0; i < windows.size(); ++i) {
            const double s = seconds(stacks.start_ns, windows[i].start_ns), e = seconds(stacks.start_ns, windows[i].end_ns);
            if (s >= options.baseline_s->first && e <= options.baseline_s->second + 1e-9) {
                detector.seed(windows[i]);
                in_baseline[i] = true;
            }
        }
        if (detector.baseline_total() <= 0)
            r.notes.push_back("--baseline-time holds no whole window with samples: the recording's own past is the baseline");
        else
            detector.seeded();
    }
    std::vector<size_t> anomalous;
    std::map<uint32_t, double> normal;
    for (size_t i = 0; i < windows.size(); ++i) {
        WindowScore ws;
        ws.start_s = seconds(stacks.start_ns, windows[i].start_ns);
        ws.end_s = seconds(stacks.start_ns, windows[i].end_ns);
        if (!in_baseline[i]) {
            const WindowVerdict v = detector.judge(windows[i]);
            ws.judged = v.judged;
            ws.anomalous = v.anomalous;
            ws.score = v.score;
            ws.distance = v.distance;
        }
        if (ws.judged) ++r.judged;
        if (ws.anomalous) anomalous.push_back(i);
        else add_into(normal, windows[i].counts);
        r.windows.push_back(ws);
    }
    r.anomalous = anomalous.size();
    r.distance_floor = detector.distance_floor();
    r.normal = as_counts(normal);
    // Kinds: clusters of what each anomalous window has in excess of normal (the stacks whose
    // share grew, by how much), so that a change caught by two windows, half in one and whole
    // in the next, is one kind, and two different changes are two.
    std::vector<Counts> dists;
    for (size_t i : anomalous) dists.push_back(excess_over(windows[i].counts, r.normal));
    const double cut = std::max(kKindCut, 2 * r.distance_floor);
    const std::vector<int> kind_of = cluster(dists, cut);
    std::map<int, std::map<uint32_t, double>> kind_counts;
    std::map<int, size_t> kind_windows;
    for (size_t a = 0; a < anomalous.size(); ++a) {
        const size_t i = anomalous[a];
        add_into(kind_counts[kind_of[a]], windows[i].counts);
        ++kind_windows[kind_of[a]];
        const bool extends = a > 0 && anomalous[a - 1] + 1 == i && kind_of[a - 1] == kind_of[a];
        if (!extends) {
            AnomalyRange range;
            range.start_s = r.windows[i].start_s;
            range.kind = kind_of[a];
            r.ranges.push_back(range);
        }
        AnomalyRange& range = r.ranges.back();
        range.end_s = r.windows[i].end_s;
        range.score = std::max(range.score, r.windows[i].score);
        range.distance = std::max(range.distance, r.windows[i].distance);
        ++range.windows;
        std::map<uint32_t, double> merged(range.counts.begin(), range.counts.end());
        add_into(merged, windows[i].counts);
        range.counts = as_counts(merged);
    }
    for (auto& range : r.ranges) range.changes = changed_functions(stacks.keys, r.normal, range.counts, 8);
    for (const auto& [id, counts] : kind_counts) {
        AnomalyKind k;
        k.id = id;
        k.windows = kind_windows[id];
        k.changes = changed_functions(stacks.keys, r.normal, as_counts(counts), 8);
        k.label = label_of(k.changes);
        for (const auto& range : r.ranges) k.ranges += range.kind == id;
        r.kinds.push_back(std::move(k));
    }
    if (r.judged == 0)
        r.notes.push_back("no window was judged: the recording is too short or too sparse for its windows (fewer than " +
                          std::to_string(static_cast<int>(kTargetWindowSamples / 4)) +
                          " samples each, or no baseline yet); give a longer --window or record longer");
    r.keys = std::move(stacks.keys);
    return r;
}

}  // namespace kiln::analyzer
