// The command-line duration parser shared by kiln record and kiln analyze.
#include <gtest/gtest.h>

#include "formats/duration_text.h"

using kiln::format::parse_duration_ns;

TEST(DurationText, Units) {
    EXPECT_EQ(*parse_duration_ns("100ms", "--x"), 100'000'000u);
    EXPECT_EQ(*parse_duration_ns("1s", "--x"), 1'000'000'000u);
    EXPECT_EQ(*parse_duration_ns("2.5s", "--x"), 2'500'000'000u);
    EXPECT_EQ(*parse_duration_ns("500us", "--x"), 500'000u);
    EXPECT_EQ(*parse_duration_ns("250", "--x"), 250u);
    EXPECT_EQ(*parse_duration_ns("0", "--x"), 0u);
}

TEST(DurationText, ErrorsNameTheOption) {
    for (const char* bad : {"", "abc", "5m", "-1s", "1.5 s", "inf"}) {
        auto r = parse_duration_ns(bad, "--counter-interval");
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("--counter-interval"), std::string::npos) << r.error().message;
    }
}
