// Events and sampling settings: several -e, tracepoints, -c periods, and losses that are
// counted rather than hidden.
#include <gtest/gtest.h>
#include <sched.h>

#include <cstdlib>
#include <string>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

TEST(RecordEvents, SeveralEventsEachSample) {
    TempDir tmp;
    auto r = run({kiln_bin(), "record", "-e", "cpu-clock", "-e", "task-clock", "-F", "499", "-o", tmp.path("e2.kiln"),
                    "--", workload("cpu_split_fp"), "0.5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = info_json(tmp.path("e2.kiln"));
    ASSERT_EQ(info["events"].size(), 2u);
    EXPECT_EQ(info["events"][0]["name"], "cpu-clock");
    EXPECT_EQ(info["events"][1]["name"], "task-clock");
    for (const auto& e : info["events"]) EXPECT_NEAR(e["samples"].get<double>(), 0.5 * 499, 0.25 * 0.5 * 499) << e;
}

TEST(RecordEvents, PeriodInsteadOfFrequency) {
    TempDir tmp;
    // cpu-clock counts nanoseconds: a period of 2 ms gives 500 samples per CPU-second.
    auto r = run({kiln_bin(), "record", "-e", "cpu-clock", "-c", "2000000", "-o", tmp.path("c.kiln"), "--",
                  workload("cpu_split_fp"), "1.0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = info_json(tmp.path("c.kiln"));
    EXPECT_NEAR(info["samples"].get<double>(), 500.0, 75.0);
    EXPECT_NE(info["events"][0]["sampling"].get<std::string>().find("every 2000000"), std::string::npos);
}

TEST(RecordEvents, PageFaultsWithPeriodOne) {
    TempDir tmp;
    auto r = run({kiln_bin(), "record", "-e", "page-faults", "-c", "1", "-o", tmp.path("pf.kiln"), "--",
                  workload("threads_fork_fp"), "0.1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = info_json(tmp.path("pf.kiln"));
    // Every fault of starting a process, its threads and a child: dozens at least.
    EXPECT_GT(info["samples"].get<uint64_t>(), 50u);
}

TEST(RecordEvents, TracepointSamplesCarryTheirPayload) {
    TempDir tmp;
    auto r = run({kiln_bin(), "record", "-e", "sched:sched_switch", "-a", "-o", tmp.path("tp.kiln"), "--",
                  workload("threads_fork_fp"), "0.2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = info_json(tmp.path("tp.kiln"));
    ASSERT_EQ(info["events"].size(), 1u);
    EXPECT_EQ(info["events"][0]["name"], "sched:sched_switch");
    // Threads starting, a child exiting and joins all switch: there are switches to see.
    EXPECT_GT(info["samples"].get<uint64_t>(), 5u);
}

TEST(RecordEvents, LossesAreCountedNotHidden) {
    TempDir tmp;
    // One data page per CPU cannot hold a single sample with a 16 KiB stack copy: the kernel
    // drops every sample, counts it in the ring, and reports the count in a LOST record written
    // with the next record that fits in that ring. Pinned to one CPU, the workload's own exit
    // record is that record, so every sample taken must show up as lost: one per millisecond of
    // the workload's CPU time (cpu-clock counts CPU time, so a busy machine changes nothing).
    const int cpu = sched_getcpu();
    ASSERT_GE(cpu, 0);
    auto r = run({"/usr/bin/taskset", "-c", std::to_string(cpu), kiln_bin(), "record", "-e", "cpu-clock", "-c", "1000000",
                  "-m", "1", "-g", "dwarf,16384", "-o", tmp.path("l.kiln"), "--", workload("cpu_split_nofp"),
                  "0.5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double workload_cpu_s = std::strtod(r.out.c_str(), nullptr);  // cpu_split prints its CPU time
    ASSERT_GE(workload_cpu_s, 0.5) << r.out;
    auto info = info_json(tmp.path("l.kiln"));
    EXPECT_EQ(info["samples"].get<uint64_t>(), 0u) << "no sample fits in the ring";
    const double taken = workload_cpu_s * 1000;
    const auto lost = info["lost"].get<uint64_t>();
    EXPECT_GE(static_cast<double>(lost), 0.9 * taken) << "samples taken: " << taken << "\n" << info.dump(1);
    EXPECT_LE(static_cast<double>(lost), 1.1 * taken + 10) << "samples taken: " << taken << "\n" << info.dump(1);
    // The summary line says it too.
    EXPECT_NE(r.err.find(", " + std::to_string(lost) + " lost"), std::string::npos) << r.err;
}
