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

// Jensen-Shannon distance between the excesses of two kinds. Two changes of other code share no
// function that grew and are about 1 apart; windows of one change, even one holding only its
// edge, are under 0.6.
constexpr double kKindCut = 0.7;
constexpr double kNeighbourFactor = 0.75;  // distance between consecutive anomalous windows, scaled
constexpr double kMinGrowth = 0.05;  // what a doubled function's inclusive share must grow by at least
constexpr double kGrown = 2;  // the growth of a share that makes a key part of what a window has in excess

// What a has in excess of b: the share of each key in a above its share in b, for the keys
// whose share at least doubled. Keys that grew by less are a change's side effects (a thread's
// root functions when the balance between threads shifts) and differ between two windows of one
// change that hold different parts of it.
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
        if (d > 0 && n / ta >= kGrown * q) out.emplace_back(k, d);
    }
    if (out.empty()) out = a;  // nothing doubled (a shrink only): the window itself
    return out;
}

double total_of(const Counts& c) {
    double t = 0;
    for (const auto& [k, n] : c) t += n;
    return t;
}

// Whether some function's inclusive share (its samples over all samples) at least doubled from
// normal to the window and grew by kMinGrowth.
bool some_function_grew(const Counts& window, double window_samples, const Counts& normal, double normal_samples) {
    if (window_samples <= 0) return false;
    size_t j = 0;
    for (const auto& [k, n] : window) {
        while (j < normal.size() && normal[j].first < k) ++j;
        const double before = j < normal.size() && normal[j].first == k && normal_samples > 0 ? normal[j].second / normal_samples : 0;
        const double after = n / window_samples;
        if (after >= kGrown * before && after - before >= kMinGrowth) return true;
    }
    return false;
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

// Stack counts as inclusive function counts (each function once per stack), keyed by function:
// the user-space functions of a stack that has any, else its kernel functions. What a change
// is, is the user code that ran more; the kernel paths it took (page faults or brk, one
// syscall path or another) vary between two windows of it and would outweigh it, being deep.
class FunctionCounter {
public:
    explicit FunctionCounter(const std::vector<std::string>& keys) : keys_(keys) {}
    Counts of(const Counts& stacks) {
        std::map<uint32_t, double> out;
        for (const auto& [k, n] : stacks)
            for (uint32_t f : functions_of_key(k)) out[f] += n;
        return as_counts(out);
    }

private:
    const std::vector<uint32_t>& functions_of_key(uint32_t key) {
        auto [it, fresh] = by_key_.try_emplace(key);
        if (fresh) {
            std::set<uint32_t> seen;
            const auto functions = functions_of(keys_[key]);
            const bool user = std::any_of(functions.begin(), functions.end(),
                                          [](std::string_view f) { return !f.ends_with("_[k]"); });
            for (std::string_view f : functions) {
                if (user && f.ends_with("_[k]")) continue;
                const uint32_t id = ids_.try_emplace(f, static_cast<uint32_t>(ids_.size())).first->second;
                if (seen.insert(id).second) it->second.push_back(id);
            }
        }
        return it->second;
    }
    const std::vector<std::string>& keys_;
    std::unordered_map<std::string_view, uint32_t> ids_;
    std::unordered_map<uint32_t, std::vector<uint32_t>> by_key_;
};

// Average-linkage clustering of the windows' distributions, merged while the closest pair of
// clusters is nearer than cut. Returns a cluster id per window, numbered from 1 in order of
// first appearance.
std::vector<int> cluster(const std::vector<Counts>& windows, const std::vector<size_t>& index, double cut) {
    const size_t n = std::min(windows.size(), kMaxClustered);
    std::vector<std::vector<double>> d(n, std::vector<double>(n, 0));
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) {
            d[i][j] = d[j][i] = js_distance(windows[i], windows[j]);
            // Neighbours in time are likelier one change, one holding its edge.
            if (index[i] + 1 == index[j]) d[i][j] = d[j][i] = d[i][j] * kNeighbourFactor;
        }
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

namespace {

// The baseline recording's windows, with its stacks renumbered into the keys of stacks (new
// names appended).
std::vector<StackWindow> baseline_windows(const WindowedStacks& baseline, size_t buckets, WindowedStacks& stacks) {
    std::unordered_map<std::string_view, uint32_t> id_of;
    for (uint32_t i = 0; i < stacks.keys.size(); ++i) id_of.emplace(stacks.keys[i], i);
    std::vector<uint32_t> renumber(baseline.keys.size());
    std::vector<std::string> added;  // appended after the lookups: id_of views stacks.keys
    for (size_t i = 0; i < baseline.keys.size(); ++i) {
        auto it = id_of.find(baseline.keys[i]);
        if (it != id_of.end()) {
            renumber[i] = it->second;
        } else {
            renumber[i] = static_cast<uint32_t>(stacks.keys.size() + added.size());
            added.push_back(baseline.keys[i]);
        }
    }
    stacks.keys.insert(stacks.keys.end(), added.begin(), added.end());
    // Buckets of another length (not made by this analyzer) are taken as one window.
    const size_t per_window = baseline.bucket_ns == stacks.bucket_ns ? buckets : baseline.bucket_end() + 1;
    std::vector<StackWindow> out =
        merge_windows(baseline, per_window, baseline.start_ns + baseline.bucket_end() * baseline.bucket_ns);
    for (auto& w : out) {
        for (auto& [k, n] : w.counts) k = renumber[k];
        std::sort(w.counts.begin(), w.counts.end());
    }
    return out;
}

}  // namespace

AnomalyReport find_anomalies(WindowedStacks stacks, uint64_t end_ns, const AnomalyOptions& options) {
    AnomalyReport r;
    r.sensitivity = options.sensitivity;
    const uint64_t duration = end_ns > stacks.start_ns ? end_ns - stacks.start_ns : 0;
    const size_t buckets = buckets_per_window(stacks, options.window_ns, duration, r.window_why);
    r.window_ns = buckets * stacks.bucket_ns;
    const std::vector<StackWindow> windows = merge_windows(stacks, buckets, end_ns);
    StackDetector detector(detector_settings(options.sensitivity), windows.size());
    std::vector<bool> in_baseline(windows.size(), false);
    std::map<uint32_t, double> baseline_recording;
    if (options.baseline_recording) {
        size_t normal_windows = 0;
        for (const StackWindow& w : baseline_windows(*options.baseline_recording, buckets, stacks)) {
            const WindowVerdict v = detector.judge(w);
            if (v.anomalous) continue;
            add_into(baseline_recording, w.counts);
            normal_windows += v.judged;
        }
        if (baseline_recording.empty())
            r.notes.push_back("--baseline has no CPU samples: the recording's own past is the baseline");
        else
            detector.seeded();
        if (normal_windows < 4)
            r.notes.push_back("--baseline is short: " + std::to_string(normal_windows) +
                              " of its windows taught the detector how much normal windows vary (4 or more is better)");
    } else if (options.baseline_s) {
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
    r.distance_floor = detector.distance_floor();
    // By function (inclusive), not by stack: the kernel paths of a syscall burst spread its
    // samples over many stacks, which would make two windows of one burst look unlike.
    FunctionCounter functions(stacks.keys);
    const Counts before = as_counts(baseline_recording.empty() ? normal : baseline_recording);
    const Counts normal_functions = functions.of(before);
    const double normal_samples = total_of(before);
    // A window whose stacks differ but where no function's share at least doubled runs the same
    // code in other proportions: most often threads given more or less CPU by a loaded machine.
    // That is not reported (the counters show the load).
    size_t proportions_only = 0;
    std::erase_if(anomalous, [&](size_t i) {
        if (some_function_grew(functions.of(windows[i].counts), windows[i].total, normal_functions, normal_samples))
            return false;
        r.windows[i].anomalous = false;
        ++proportions_only;
        return true;
    });
    if (proportions_only)
        r.notes.push_back(std::to_string(proportions_only) +
                          " windows differed significantly but only in the proportions of the same functions (none's share "
                          "at least doubled by 5 points): not reported");
    r.anomalous = anomalous.size();
    r.normal = before;
    // Kinds: clusters of what each anomalous window has in excess of normal (the functions whose
    // share grew, by how much), so that a change caught by two windows, half in one and whole
    // in the next, is one kind, and two different changes are two.
    std::vector<Counts> dists;
    for (size_t i : anomalous) dists.push_back(excess_over(functions.of(windows[i].counts), normal_functions));
    // A fixed cut: the noise floor is of distances between stacks, not between grown functions.
    const std::vector<int> kind_of = cluster(dists, anomalous, kKindCut);
    std::map<int, std::map<uint32_t, double>> kind_counts;
    std::map<int, size_t> kind_windows;
    for (size_t a = 0; a < anomalous.size(); ++a) {
        const size_t i = anomalous[a];
        add_into(kind_counts[kind_of[a]], windows[i].counts);
        ++kind_windows[kind_of[a]];
        // A window with too few samples to judge (a lock convoy halves the samples, a loaded
        // machine takes CPU away) says nothing, so it does not split a range of one kind.
        const size_t after_previous = a > 0 ? anomalous[a - 1] + 1 : i;  // the windows between, if any
        bool extends = a > 0 && kind_of[a - 1] == kind_of[a];
        for (size_t between = after_previous; extends && between < i; ++between) extends = !r.windows[between].judged;
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
        if (extends)
            for (size_t bridged = after_previous; bridged < i; ++bridged) add_into(merged, windows[bridged].counts);
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
