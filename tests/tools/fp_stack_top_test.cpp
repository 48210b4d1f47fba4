// -g fp's stack top: the callers the kernel's frame-pointer walk skips. gcc at -O2 leaves leaf
// functions frameless even with -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer (cpu_split_fp's
// hot_a and hot_b push no frame): from a sample in hot_a the walk starts at work()'s frame, whose
// first return address is in main, so work() is missing; perf record -g shows main;hot_a. The
// same happens in libc's syscall wrappers under every sample taken in the kernel. kiln copies the
// top of the user stack beside the callchain; the leaf's CFI says its return address is at [sp],
// and the analyzer puts the caller back.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

// Of the folded stacks that pred counts (first), those that also have the caller (second).
struct Share {
    double all = 0, with_caller = 0;
};

Share share_of(const std::string& folded, const std::function<bool(const std::string&)>& counted,
               const std::function<bool(const std::string&)>& has_caller) {
    Share s;
    for (const auto& [stack, v] : parse_folded(folded)) {
        if (!counted(stack)) continue;
        s.all += v;
        if (has_caller(stack)) s.with_caller += v;
    }
    return s;
}

std::string record_folded(const TempDir& tmp, const std::string& name, const std::string& call_graph,
                          const std::vector<std::string>& cmd, std::string* err = nullptr) {
    const std::string file = tmp.path(name + ".kiln");
    std::vector<std::string> argv{kiln_bin(), "record", "-F", "999", "-g", call_graph, "-o", file, "--"};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto a = run({kiln_bin(), "analyze", file, "--folded", "-"});
    EXPECT_EQ(a.exit_code, 0) << a.err;
    if (err) *err = a.err;
    return a.out;
}

bool in_leaf(const std::string& s) { return s.ends_with(";hot_a") || s.ends_with(";hot_b"); }
// The whole path, nothing more and nothing less.
bool leaf_under_work(const std::string& s) {
    return s.ends_with(";__libc_start_call_main;main;work;hot_a") ||
           s.ends_with(";__libc_start_call_main;main;work;hot_b");
}

}  // namespace

TEST(FpStackTop, TheCallerOfAFramelessLeafIsPutBack) {
    TempDir tmp;
    // perf record -g on the same program: work() is missing under the leaves.
    const std::string perf_data = tmp.path("perf.data");
    auto p = run_perf({"/usr/bin/perf", "record", "-q", "-F", "999", "-g", "-o", perf_data, "--",
                       workload("cpu_split_fp"), "0.5"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto pa = run({kiln_bin(), "analyze", perf_data, "--folded", "-"});
    ASSERT_EQ(pa.exit_code, 0) << pa.err;
    const Share perf = share_of(pa.out, in_leaf, leaf_under_work);
    ASSERT_GT(perf.all, 200) << "cpu_split spends its time in hot_a and hot_b";
    EXPECT_LT(perf.with_caller, 0.1 * perf.all) << "the leaves have frames: the test shows nothing";

    // kiln without the stack top (-g fp,0) walks as perf does.
    const Share bare = share_of(record_folded(tmp, "bare", "fp,0", {workload("cpu_split_fp"), "0.5"}), in_leaf,
                                leaf_under_work);
    ASSERT_GT(bare.all, 200);
    EXPECT_LT(bare.with_caller, 0.1 * bare.all);

    // The default -g fp copies 32 bytes of the stack top: work() is under >= 95% of the leaves'
    // samples, in its place and only there.
    std::string err;
    const std::string folded = record_folded(tmp, "top", "fp", {workload("cpu_split_fp"), "1.0"}, &err);
    const Share top = share_of(folded, in_leaf, leaf_under_work);
    ASSERT_GT(top.all, 500);
    EXPECT_GE(top.with_caller, 0.95 * top.all) << err;
    for (const auto& [stack, v] : parse_folded(folded))
        EXPECT_EQ(stack.find("work;work"), std::string::npos) << stack;
    EXPECT_NE(err.find("callers the walk skipped"), std::string::npos) << err;
    const auto info = info_json(tmp.path("top.kiln"));
    EXPECT_NE(info["events"][0]["sampling"].get<std::string>().find("+ 32 bytes of stack top"), std::string::npos)
        << info["events"].dump();
}

// A sample in the kernel has the user registers of the syscall's entry: the leaf is libc's
// frameless read() wrapper, and its caller read_zeros() is put back the same way.
TEST(FpStackTop, TheCallerOfASyscallWrapperIsPutBack) {
    TempDir tmp;
    auto in_read = [](const std::string& s) { return s.find(";__GI___libc_read;") != std::string::npos; };
    auto under_caller = [](const std::string& s) { return s.find(";main;read_zeros;__GI___libc_read;") != std::string::npos; };
    const Share bare = share_of(record_folded(tmp, "bare", "fp,0", {workload("syscall_heavy_fp"), "0.5"}), in_read,
                                under_caller);
    ASSERT_GT(bare.all, 200);
    EXPECT_LT(bare.with_caller, 0.1 * bare.all);
    const Share top = share_of(record_folded(tmp, "top", "fp", {workload("syscall_heavy_fp"), "0.5"}), in_read,
                               under_caller);
    ASSERT_GT(top.all, 200);
    EXPECT_GE(top.with_caller, 0.95 * top.all);
}

TEST(FpStackTop, BadSizesAreRefused) {
    for (const std::string bad : {"fp,12", "fp,8192", "fp,x"}) {
        auto r = run({kiln_bin(), "record", "-g", bad, "-o", "/dev/null", "--", "/bin/true"});
        EXPECT_NE(r.exit_code, 0) << bad;
        EXPECT_NE(r.err.find("-g fp,"), std::string::npos) << bad << ": " << r.err;
    }
}
