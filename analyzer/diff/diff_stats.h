// The statistics of `kiln diff`: is a change of a function's share noise or real?
//
// A profile's samples are treated as independent draws: a function's sample count out of
// its side's total is binomial. For one run per side the test is the pooled two-proportion
// z-test. With several runs per side, each side's variance of its share is the larger of
// the binomial variance and the between-run variance of the per-run shares (divided by the
// number of runs), and the test is Welch's t-test with Welch–Satterthwaite degrees of
// freedom (sides without a between-run estimate count as known variance). Runs that differ
// more than sampling explains (other machine load, another input) thus widen the interval.
// The functions tested at once are corrected for multiple comparisons (Holm by default;
// Bonferroni and Benjamini–Hochberg available), so that "nothing changed" stays quiet.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kiln::analyzer {

// Two-sided p-value of a standard normal statistic.
double normal_two_sided_p(double z);

// Two-sided p-value of Student's t with df degrees of freedom (df > 0; infinite = normal).
double student_t_two_sided_p(double t, double df);

// Regularized incomplete beta function I_x(a, b).
double incomplete_beta(double a, double b, double x);

// One side of a comparison: a function's sample count in each run and each run's total.
struct ShareSample {
    std::vector<double> counts;
    std::vector<double> totals;
};

struct ShareTest {
    double base_share = 0;  // pooled: sum of counts / sum of totals
    double new_share = 0;
    double statistic = 0;   // z or t
    double df = 0;          // 0: normal (z-test)
    double p = 1;           // two-sided, uncorrected
};

ShareTest test_share_change(const ShareSample& base, const ShareSample& now);

enum class Correction { Holm, Bonferroni, BenjaminiHochberg };

// Adjusted p-values in the input's order (each at most 1): compare them to alpha directly.
std::vector<double> adjust_p_values(const std::vector<double>& p, Correction c);

// "holm", "bonferroni", "bh" → Correction; false for anything else.
bool parse_correction(const std::string& name, Correction& out);
const char* correction_name(Correction c);

}  // namespace kiln::analyzer
