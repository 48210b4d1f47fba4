// The statistics behind `kiln diff`: known inputs, p-values computed independently.
#include "analyzer/diff/diff_stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kiln::analyzer {
namespace {

TEST(DiffStats, NormalAndStudentTailsMatchTables) {
    EXPECT_NEAR(normal_two_sided_p(1.959963985), 0.05, 1e-9);
    EXPECT_NEAR(normal_two_sided_p(-3.290526731), 0.001, 1e-9);
    EXPECT_DOUBLE_EQ(normal_two_sided_p(0), 1.0);
    EXPECT_NEAR(student_t_two_sided_p(2.228138852, 10), 0.05, 1e-7);
    EXPECT_NEAR(student_t_two_sided_p(12.70620474, 1), 0.05, 1e-7);
    // df = 4 has a closed form: 1 - t (t² + 6) / (t² + 4)^1.5.
    const double t = 2.449489743;
    EXPECT_NEAR(student_t_two_sided_p(t, 4), 1 - t * (t * t + 6) / std::pow(t * t + 4, 1.5), 1e-9);
    // I_0.4(2, 3) = P(Binomial(4, 0.4) >= 2) = 0.5248.
    EXPECT_NEAR(incomplete_beta(2, 3, 0.4), 0.5248, 1e-12);
}

TEST(DiffStats, OneRunPerSideIsTheTwoProportionZTest) {
    // 300 of 1000 samples before, 360 of 1000 after: pooled share 0.33, z = 2.8533.
    const ShareTest r = test_share_change({{300}, {1000}}, {{360}, {1000}});
    EXPECT_DOUBLE_EQ(r.base_share, 0.3);
    EXPECT_DOUBLE_EQ(r.new_share, 0.36);
    EXPECT_NEAR(r.statistic, 2.8532635, 1e-6);
    EXPECT_EQ(r.df, 0);
    EXPECT_NEAR(r.p, 0.0043272724, 1e-9);
    // The same share is no change at all, whatever the totals.
    EXPECT_DOUBLE_EQ(test_share_change({{100}, {1000}}, {{300}, {3000}}).p, 1.0);
    // Shrinking is as significant as growing.
    EXPECT_NEAR(test_share_change({{360}, {1000}}, {{300}, {1000}}).p, 0.0043272724, 1e-9);
    // Never seen on either side: nothing to test.
    EXPECT_DOUBLE_EQ(test_share_change({{0}, {1000}}, {{0}, {1000}}).p, 1.0);
}

TEST(DiffStats, SeveralRunsUseTheirSpreadWhenItExceedsSampling) {
    // Per-run shares 0.2, 0.3, 0.4 against 0.4, 0.5, 0.6: between-run variance 0.01/3 per
    // side beats the binomial 8e-5, so Welch's t = 2.4495 with 4 degrees of freedom.
    const ShareTest r = test_share_change({{200, 300, 400}, {1000, 1000, 1000}}, {{400, 500, 600}, {1000, 1000, 1000}});
    EXPECT_NEAR(r.statistic, 2.4494897, 1e-6);
    EXPECT_NEAR(r.df, 4.0, 1e-9);
    EXPECT_NEAR(r.p, 0.0704840, 1e-6);
    // The same pooled counts in one run each would look far more certain.
    EXPECT_LT(test_share_change({{900}, {3000}}, {{1500}, {3000}}).p, 1e-30);
    // Runs that agree better than sampling predicts fall back to the binomial variance.
    const ShareTest tight = test_share_change({{300, 300}, {1000, 1000}}, {{330, 330}, {1000, 1000}});
    EXPECT_EQ(tight.df, 0);
    EXPECT_NEAR(tight.p, test_share_change({{600}, {2000}}, {{660}, {2000}}).p, 1e-12);
}

TEST(DiffStats, CorrectionsForMultipleComparisons) {
    const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
    auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
    };
    near(adjust_p_values(p, Correction::Bonferroni), {0.04, 0.16, 0.12, 0.02});
    near(adjust_p_values(p, Correction::Holm), {0.03, 0.06, 0.06, 0.02});
    near(adjust_p_values(p, Correction::BenjaminiHochberg), {0.02, 0.04, 0.04, 0.02});
    near(adjust_p_values({0.5, 0.9}, Correction::Bonferroni), {1.0, 1.0});
    EXPECT_TRUE(adjust_p_values({}, Correction::Holm).empty());
    // 200 null tests at uniform p: none survives a family-wise 1% level.
    std::vector<double> nulls;
    for (int i = 1; i <= 200; ++i) nulls.push_back(i / 200.0);
    for (double q : adjust_p_values(nulls, Correction::Holm)) EXPECT_GE(q, 0.01);
    Correction c;
    EXPECT_TRUE(parse_correction("bh", c));
    EXPECT_EQ(c, Correction::BenjaminiHochberg);
    EXPECT_FALSE(parse_correction("none", c));
}

}  // namespace
}  // namespace kiln::analyzer
