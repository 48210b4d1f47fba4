// Big inputs: a recording of 10,000 short-lived processes and one of a process with 1,000
// threads record without loss (or count what they lost) and analyze whole: every process and
// every thread is in the sched view, with the work the workloads are known to do.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

// The sched view's threads whose command name starts with prefix.
std::vector<nlohmann::json> sched_threads(const std::string& rec, const std::string& prefix) {
    const auto j = analyze_json(rec, {"--view", "sched"});
    std::vector<nlohmann::json> out;
    for (const auto& t : j["threads"])
        if (t["comm"].get<std::string>().starts_with(prefix)) out.push_back(t);
    return out;
}

}  // namespace

TEST(BigInputs, TenThousandShortLivedProcesses) {
    TempDir tmp;
    const std::string rec = tmp.path("fork_storm.kiln");
    auto r = run_kiln({"record", "--sched", "-o", rec, "--", workload("fork_storm_fp"), "10000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "10000\n");
    const auto info = info_json(rec);
    const uint64_t lost = info["lost"].get<uint64_t>();
    std::set<int> pids;
    for (const auto& t : sched_threads(rec, "fork_storm")) pids.insert(t["pid"].get<int>());
    // The parent and its 10,000 children, each switched in at least once; records the rings
    // lost (counted, and said) may hide a few.
    EXPECT_LE(pids.size(), 10001u);
    EXPECT_GE(pids.size() + lost, 10001u) << lost << " records lost";
    if (lost > 0) {
        EXPECT_NE(r.err.find("lost"), std::string::npos) << "losses are said: " << r.err;
    }
}

TEST(BigInputs, AProcessWithAThousandThreads) {
    TempDir tmp;
    const std::string rec = tmp.path("threads.kiln");
    auto r = run_kiln({"record", "--sched", "-F", "999", "-g", "fp", "-o", rec, "--", workload("many_threads_fp"), "1000",
                       "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "1000\n");
    const uint64_t lost = info_json(rec)["lost"].get<uint64_t>();
    const auto threads = sched_threads(rec, "many_threads");
    std::set<int> tids, pids;
    double runtime_ms = 0;
    for (const auto& t : threads) {
        tids.insert(t["tid"].get<int>());
        pids.insert(t["pid"].get<int>());
        runtime_ms += t["runtime_ns"].get<double>() / 1e6;
    }
    // The main thread and its 1000 (records the rings lost, counted, may hide a few).
    EXPECT_LE(tids.size(), 1001u);
    EXPECT_GE(tids.size() + lost, 1001u) << lost << " records lost";
    EXPECT_EQ(pids.size(), 1u);
    // Each thread burns 2 ms of its own CPU time in thread_work (its clock says so).
    if (lost == 0) {
        EXPECT_GE(runtime_ms, 1000 * 2.0) << runtime_ms;
    }
    // The cpu view: the threads' time is run()'s, most of it in thread_work itself (the rest in
    // the clock it reads).
    auto a = run_kiln({"analyze", rec, "--view", "cpu", "--folded", "-"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    double all = 0, in_run = 0, work = 0;
    for (const auto& [stack, v] : parse_folded(a.out)) {
        if (!stack.starts_with("many_threads_fp;")) continue;
        all += v;
        if (stack.find(";run") != std::string::npos) in_run += v;
        if (stack.ends_with(";thread_work")) work += v;
    }
    EXPECT_GT(in_run, 0.8 * all) << a.out;
    EXPECT_GT(work, 0.5 * all) << a.out;
}
