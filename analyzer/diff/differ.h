// `kiln diff` proper: per-function self and total shares of the base and new runs, the
// significance of each change, and the CI gate's decision.
//
// Shares are normalized to each side's total (pooled over its runs), so a longer or busier
// run of the same code compares equal. A function's total share counts each stack once
// however often the function recurses in it; its self share counts stacks it ends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/diff/diff_input.h"
#include "analyzer/diff/diff_stats.h"
#include "formats/result.h"

namespace kiln::analyzer {

struct ShareChange {
    double before = 0, after = 0;  // shares of each side's total value, 0..1
    double p = 1;                  // two-sided, uncorrected (from sample counts)
    double p_adjusted = 1;         // after the multiple-comparison correction
    double statistic = 0, df = 0;  // z (df 0) or Welch's t
    bool significant = false;      // p_adjusted < alpha
    double change() const { return after - before; }
    // Change relative to the base share, in percent; +infinity for a function new to NEW.
    double relative_percent() const;
};

struct FunctionDiff {
    std::string name;
    ShareChange self, total;
};

// Self or total shares under this fraction of both sides' samples together are not tested
// (their p-values stay 1): they can neither reach significance nor gate, and testing them
// would only weaken the correction for the others.
inline constexpr double kMinTestedShare = 0.001;

struct DiffOptions {
    double alpha = 0.01;  // family-wise (Holm, Bonferroni) or false-discovery (BH) level
    Correction correction = Correction::Holm;
};

struct DiffResult {
    SampleType type;                 // the value compared (both sides agree)
    std::vector<std::string> base_sources, new_sources;
    int64_t base_value = 0, new_value = 0;  // totals, pooled over runs
    int64_t base_count = 0, new_count = 0;  // samples behind them
    bool counts_exact = true;
    size_t tests = 0;                // hypotheses corrected together (self and total per function)
    DiffOptions options;
    std::vector<FunctionDiff> functions;  // sorted by |total change|, then |self change|, then name
    std::string method() const;           // one paragraph for reports
};

// Errors when a side has no runs or the runs measure different things (views, units).
Result<DiffResult> diff_runs(const std::vector<ProfileRun>& base, const std::vector<ProfileRun>& now, const DiffOptions& options);

struct GateOptions {
    double fail_above_percent = 10;  // growth of the base total share, in percent of it
    double min_share = 0.01;         // larger of base and new total share at least this
};

struct GateResult {
    bool failed = false;
    std::vector<const FunctionDiff*> culprits;  // significant regressions beyond the threshold
    GateOptions options;
};

// Fails on a function whose total share (the larger of base and new) is at least min_share,
// whose total share grew by more than fail_above_percent of its base share (a function
// absent from BASE grew infinitely), and whose growth is significant.
GateResult apply_gate(const DiffResult& d, const GateOptions& options);

}  // namespace kiln::analyzer
