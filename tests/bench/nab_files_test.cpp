// NAB's file formats as kiln-nab reads them: timestamps, windows files, windows to rows.
#include "tools/bench/anomaly/nab_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace kiln::nab {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
    const std::string path =
        (std::filesystem::temp_directory_path() / (std::to_string(getpid()) + "-" + name)).string();
    std::ofstream(path) << text;
    return path;
}

TEST(NabFiles, TimestampsAsNabWritesThemOrSeconds) {
    EXPECT_EQ(parse_timestamp_us("1970-01-01 00:00:00"), 0);
    EXPECT_EQ(parse_timestamp_us("1970-01-02 00:00:01"), 86401LL * 1000000);
    EXPECT_EQ(parse_timestamp_us("2014-04-10 07:15:00.000000"), parse_timestamp_us("2014-04-10 07:15:00"));
    EXPECT_EQ(parse_timestamp_us("2014-04-10 07:15:00.5") - parse_timestamp_us("2014-04-10 07:15:00"), 500000);
    EXPECT_EQ(parse_timestamp_us("2000-03-01 00:00:00") - parse_timestamp_us("2000-02-28 00:00:00"),
              2LL * 86400 * 1000000);  // 2000 is a leap year
    EXPECT_EQ(parse_timestamp_us("12.25"), 12250000);
    EXPECT_THROW(parse_timestamp_us("yesterday"), FileError);
}

TEST(NabFiles, WindowsSnapToTheRowsTheySpan) {
    const std::vector<int64_t> t = {0, 10, 20, 30, 40, 50};
    const std::vector<RowWindow> rows = rows_of_windows(t, {{10, 20}, {25, 45}}, "test");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].first, 1u);
    EXPECT_EQ(rows[0].last, 2u);
    EXPECT_EQ(rows[1].first, 3u);
    EXPECT_EQ(rows[1].last, 4u);
    EXPECT_THROW(rows_of_windows(t, {{11, 19}}, "test"), FileError);            // no row inside
    EXPECT_THROW(rows_of_windows(t, {{10, 30}, {30, 40}}, "test"), FileError);  // overlap
}

TEST(NabFiles, WindowsFileWithOneKeyOrAPlainList) {
    const std::string keyed =
        write_temp("keyed.json", R"({"w.csv": [["1970-01-01 00:00:10.000000", "1970-01-01 00:00:20.000000"]]})");
    const std::vector<TimeWindow> a = read_file_windows(keyed);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].start_us, 10000000);
    EXPECT_EQ(a[0].end_us, 20000000);
    const std::string plain = write_temp("plain.json", "[[1.5, 2.5], [4, 5]]");
    const std::vector<TimeWindow> b = read_file_windows(plain);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].start_us, 1500000);
    EXPECT_EQ(b[1].end_us, 5000000);
    const std::string two_keys = write_temp("two.json", R"({"a": [], "b": []})");
    EXPECT_THROW(read_file_windows(two_keys), FileError);
    for (const std::string& p : {keyed, plain, two_keys}) std::filesystem::remove(p);
}

}  // namespace
}  // namespace kiln::nab
