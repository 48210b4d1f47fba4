// Golden tests: a text script (tests/analyzer/golden/NAME.script) becomes a recording of
// binaries this build made; its folded output must equal NAME.folded. Hex offsets of
// unresolved frames depend on the compiler and are compared as +0xOFF.
// Regenerate the expected files with KILN_UPDATE_GOLDEN=1. The goldens of the earlier stages
// (decoded records, unwound frames) are in stage_golden_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "analyzer/analyze.h"
#include "analyzer/output/top_table.h"
#include "tests/analyzer/golden_files.h"
#include "tests/analyzer/recording_script.h"
#include "tests/analyzer/stage_dump.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

class Golden : public ::testing::Test {
protected:
    kiln::test::TempDir tmp_;
    std::string recording_of(const std::string& name) {
        return kiln::testing::golden_recording(name, tmp_.path("golden_" + name + ".kiln"));
    }

    static AnalyzeOptions options() { return kiln::testing::golden_options(); }

    Analysis analyze(const std::string& name, AnalyzeOptions o = options()) {
        const std::string path = recording_of(name);
        auto a = analyze_recording(path, o);
        std::remove(path.c_str());
        EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
        return a.ok() ? std::move(*a) : Analysis{};
    }

    static std::string folded(const Analysis& a) { return kiln::testing::folded_text(a); }

    static void expect_golden(const std::string& name, const std::string& actual) {
        kiln::testing::expect_golden(name, "folded", actual);
    }
};

TEST_F(Golden, UserKernelJitAndUnknownFrames) {
    Analysis a = analyze("basic");
    EXPECT_EQ(a.samples_kept, 7u);
    expect_golden("basic", folded(a));
    // The cpu value is the samples' period in nanoseconds.
    ASSERT_EQ(a.profile.sample_types.size(), 2u);
    EXPECT_EQ(a.profile.sample_types[1].type, "cpu");
    EXPECT_EQ(a.profile.sample_types[1].unit, "nanoseconds");
}

TEST_F(Golden, ForkExecAndOutOfOrderRecords) { expect_golden("exec_fork", folded(analyze("exec_fork"))); }

TEST_F(Golden, RebuiltAndDeletedBinariesAreReportedNotDropped) {
    Analysis a = analyze("missing_binaries");
    expect_golden("missing_binaries", folded(a));
    ASSERT_EQ(a.binaries.size(), 2u);
    for (const auto& b : a.binaries) {
        EXPECT_FALSE(b.status.problem.empty()) << b.status.path;
        if (b.status.path == "/nonexistent/libgone.so") {
            EXPECT_NE(b.status.problem.find("not found"), std::string::npos) << b.status.problem;
            EXPECT_EQ(b.samples, 1);
        } else {
            EXPECT_NE(b.status.problem.find("00112233445566778899aabbccddeeff00112233"), std::string::npos)
                << b.status.problem;
            EXPECT_EQ(b.samples, 2);
        }
    }
}

TEST_F(Golden, TimeAndThreadFilters) {
    AnalyzeOptions o = options();
    ASSERT_TRUE(parse_time_range("0.0035,0.0065", o.filter).ok());
    Analysis a = analyze("basic", o);
    EXPECT_EQ(a.samples_seen, 7u);
    EXPECT_EQ(a.samples_kept, 3u);
    EXPECT_EQ(folded(a),
              "golden-app;main;LazyCompile:hot_loop_[j] 1000000\n"
              "golden-app;main;[unknown] 1000000\n"
              "golden-app;main;render;entry_SYSCALL_64_[k];do_syscall_64_[k];ksys_write_[k];ext4_file_write_iter_[k] "
              "1000000\n");
    o = options();
    o.filter.tids = {100};
    a = analyze("basic", o);
    EXPECT_EQ(a.samples_kept, 4u);
    o = options();
    o.filter.comms = {"worker"};  // a thread name selects that thread's samples
    a = analyze("basic", o);
    EXPECT_EQ(a.samples_kept, 3u);
}

TEST_F(Golden, TopTableSelfAndTotal) {
    Analysis a = analyze("basic");
    int64_t total = 0;
    auto top = top_functions(a.profile, 1, total);
    EXPECT_EQ(total, 8000000);
    ASSERT_FALSE(top.empty());
    EXPECT_EQ(top[0].name, "leaf_work");
    EXPECT_EQ(top[0].self, 3000000);
    EXPECT_EQ(top[0].total, 3000000);
    for (const auto& e : top)
        if (e.name == "main") {
            EXPECT_EQ(e.self, 0);
            EXPECT_EQ(e.total, 8000000);
        }
    std::ostringstream out;
    write_top(a.profile, 1, 3, out);
    EXPECT_NE(out.str().find("37.50%  leaf_work"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("3.00ms"), std::string::npos) << out.str();
}

TEST(RecordingScript, BadScriptNamesTheLine) {
    const kiln::test::TempDir tmp;
    Status st = kiln::testing::write_recording_from_script("event cpu-clock clock 1000\nbogus 1 2\n", tmp.path("bad.kiln"));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("line 2"), std::string::npos);
}

}  // namespace
}  // namespace kiln::analyzer
