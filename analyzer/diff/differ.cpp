#include "analyzer/diff/differ.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace kiln::analyzer {

double ShareChange::relative_percent() const {
    if (before > 0) return 100.0 * (after - before) / before;
    return after > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

namespace {

// Per function and run: self and total value and count.
struct Tally {
    int64_t self_value = 0, total_value = 0, self_count = 0, total_count = 0;
};
using Tallies = std::map<std::string, std::vector<Tally>>;  // name → one per run of a side

void tally(const std::vector<ProfileRun>& runs, Tallies& out, size_t side_offset, size_t slots) {
    std::set<std::string> seen;
    for (size_t r = 0; r < runs.size(); ++r) {
        for (const NamedStack& st : runs[r].stacks) {
            seen.clear();
            for (const FlameFrame& f : st.frames) {
                if (!seen.insert(f.name).second) continue;  // recursion counts once per stack
                auto& v = out[f.name];
                if (v.empty()) v.resize(slots);
                v[side_offset + r].total_value += st.value;
                v[side_offset + r].total_count += st.count;
            }
            if (!st.frames.empty()) {
                auto& v = out[st.frames.back().name];
                v[side_offset + r].self_value += st.value;
                v[side_offset + r].self_count += st.count;
            }
        }
    }
}

Status check_side(const std::vector<ProfileRun>& runs, const char* side, const ProfileRun& reference) {
    if (runs.empty()) return make_error(std::string("no ") + side + " profile given");
    for (const ProfileRun& r : runs) {
        const bool same_type = r.type.type == reference.type.type && r.type.unit == reference.type.unit;
        const bool same_view = r.view == reference.view || r.view == "pprof" || reference.view == "pprof";
        if (!same_type || !same_view)
            return make_error("cannot compare " + reference.source + " (" + reference.view + " view: " +
                              reference.type.type + ", " + reference.type.unit + ") with " + r.source + " (" + r.view +
                              " view: " + r.type.type + ", " + r.type.unit +
                              "): choose the same --view for both, or profiles of the same kind");
    }
    return Status::success();
}

std::string percent(double v) {
    std::ostringstream s;
    s << v * 100;
    return s.str();
}

}  // namespace

std::string DiffResult::method() const {
    std::ostringstream s;
    s << "Shares are of each side's total " << type.type << " (" << type.unit
      << "), pooled over its runs; functions are matched by name. Each function's change of self and total share is "
         "tested on sample counts (samples treated as independent draws: a two-proportion z-test; with several runs "
         "per side, Welch's t-test whose variance per side is the larger of the binomial and the between-run "
         "variance). Changes of functions with at least "
      << kMinTestedShare * 100 << "% of both sides' samples together are tested: "
      << tests << " tests, corrected with " << correction_name(options.correction) << "; significant means adjusted p < "
      << options.alpha << " (confidence " << percent(1 - options.alpha) << "%).";
    if (!counts_exact)
        s << " An input had no sample count: counts were estimated from its distinct stacks, which understates "
             "significance.";
    return s.str();
}

Result<DiffResult> diff_runs(const std::vector<ProfileRun>& base, const std::vector<ProfileRun>& now, const DiffOptions& options) {
    if (base.empty()) return make_error("no base profile given");
    if (now.empty()) return make_error("no new profile given");
    KILN_TRY(check_side(base, "base", base.front()));
    KILN_TRY(check_side(now, "new", base.front()));
    DiffResult d;
    d.options = options;
    d.type = base.front().type;
    // Pooled totals bound every sum taken later (per function, per flame-graph node).
    auto pool = [&d](const std::vector<ProfileRun>& runs, const char* side, std::vector<std::string>& sources,
                     int64_t& value, int64_t& count) -> Status {
        for (const ProfileRun& r : runs) {
            sources.push_back(r.source);
            if (__builtin_add_overflow(value, r.total_value, &value) || __builtin_add_overflow(count, r.total_count, &count))
                return make_error(std::string("the ") + side + " profiles' " + d.type.type +
                                  " values add up past 64 bits (at " + r.source + ")");
            d.counts_exact = d.counts_exact && r.counts_exact;
        }
        return Status::success();
    };
    KILN_TRY(pool(base, "base", d.base_sources, d.base_value, d.base_count));
    KILN_TRY(pool(now, "new", d.new_sources, d.new_value, d.new_count));
    if (d.base_value <= 0 || d.new_value <= 0) return make_error("an input profile is empty");
    const size_t slots = base.size() + now.size();
    Tallies t;
    tally(base, t, 0, slots);
    tally(now, t, base.size(), slots);

    std::vector<std::pair<size_t, bool>> tests;  // function index, total (else self)
    for (auto& [name, per_run] : t) {
        FunctionDiff f;
        f.name = name;
        int64_t bs = 0, bt = 0, ns = 0, nt = 0;
        ShareSample b_self, b_total, n_self, n_total;
        for (size_t r = 0; r < slots; ++r) {
            const bool is_base = r < base.size();
            const ProfileRun& run = is_base ? base[r] : now[r - base.size()];
            const Tally& x = per_run[r];
            (is_base ? bs : ns) += x.self_value;
            (is_base ? bt : nt) += x.total_value;
            const auto tot = static_cast<double>(run.total_count);
            (is_base ? b_self : n_self).counts.push_back(static_cast<double>(x.self_count));
            (is_base ? b_self : n_self).totals.push_back(tot);
            (is_base ? b_total : n_total).counts.push_back(static_cast<double>(x.total_count));
            (is_base ? b_total : n_total).totals.push_back(tot);
        }
        auto fill = [](ShareChange& c, const ShareTest& test, int64_t before, int64_t after, const DiffResult& dr) {
            c.before = static_cast<double>(before) / static_cast<double>(dr.base_value);
            c.after = static_cast<double>(after) / static_cast<double>(dr.new_value);
            c.p = test.p;
            c.statistic = test.statistic;
            c.df = test.df;
        };
        fill(f.self, test_share_change(b_self, n_self), bs, ns, d);
        fill(f.total, test_share_change(b_total, n_total), bt, nt, d);
        d.functions.push_back(std::move(f));
        // Independent filtering: only changes of a function holding at least kMinTestedShare of
        // both sides' samples together are tested (a criterion that ignores which side they
        // came from, so it does not bias the tests), keeping the correction's family small.
        const double all = static_cast<double>(d.base_count + d.new_count);
        auto tested = [&](const ShareSample& b, const ShareSample& n) {
            double c = 0;
            for (double x : b.counts) c += x;
            for (double x : n.counts) c += x;
            return all > 0 && c / all >= kMinTestedShare;
        };
        if (tested(b_self, n_self)) tests.push_back({d.functions.size() - 1, false});
        if (tested(b_total, n_total)) tests.push_back({d.functions.size() - 1, true});
    }
    std::vector<double> raw;
    for (const auto& [index, is_total] : tests) {
        const auto& f = d.functions[index];
        raw.push_back(is_total ? f.total.p : f.self.p);
    }
    d.tests = raw.size();
    const auto adjusted = adjust_p_values(raw, options.correction);
    for (size_t i = 0; i < tests.size(); ++i) {
        auto& f = d.functions[tests[i].first];
        ShareChange& c = tests[i].second ? f.total : f.self;
        c.p_adjusted = adjusted[i];
        c.significant = c.p_adjusted < options.alpha && c.change() != 0;
    }
    std::sort(d.functions.begin(), d.functions.end(), [](const FunctionDiff& a, const FunctionDiff& b) {
        const double ta = std::fabs(a.total.change()), tb = std::fabs(b.total.change());
        if (ta != tb) return ta > tb;
        const double sa = std::fabs(a.self.change()), sb = std::fabs(b.self.change());
        if (sa != sb) return sa > sb;
        return a.name < b.name;
    });
    return d;
}

GateResult apply_gate(const DiffResult& d, const GateOptions& options) {
    GateResult g;
    g.options = options;
    for (const FunctionDiff& f : d.functions) {
        if (std::max(f.total.before, f.total.after) < options.min_share) continue;
        if (f.total.change() <= 0 || !f.total.significant) continue;
        if (f.total.relative_percent() > options.fail_above_percent) g.culprits.push_back(&f);
    }
    g.failed = !g.culprits.empty();
    return g;
}

}  // namespace kiln::analyzer
