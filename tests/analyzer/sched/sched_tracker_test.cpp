// The sched view's bookkeeping on hand-made event sequences: run time, switches, waits from
// wakeups and preemptions, migrations, switches told twice, runs whose end was never seen,
// and the syscall pairing with errors and the last calls; the histogram's percentiles.
#include "analyzer/sched/sched_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "analyzer/sched/latency_histogram.h"
#include "analyzer/sched/syscall_tracker.h"

using namespace kiln::analyzer;

namespace {
constexpr uint64_t kMs = 1'000'000;
constexpr int64_t kSleeping = 0x01, kUninterruptible = 0x02, kPreempted = 0x100, kDead = 0x10;
}  // namespace

TEST(SchedTracker, RunTimeSwitchesAndWaits) {
    SchedTracker t(0, 50 * kMs);
    t.switch_in(7, 10 * kMs, 0);
    t.switch_out(7, 30 * kMs, 0, kPreempted);  // ran 20 ms, preempted: waits from here
    t.switch_in(7, 34 * kMs, 0);              // waited 4 ms
    t.switch_out(7, 40 * kMs, 0, kSleeping);  // ran 6 ms, sleeps
    t.woken(7, 100 * kMs);                     // slept 60 ms: a long block
    t.switch_in(7, 101 * kMs, 1);             // waited 1 ms, on another CPU
    t.switch_out(7, 102 * kMs, 1, kUninterruptible);
    t.finish(200 * kMs);  // still blocked in I/O: 98 ms
    const ThreadSched& s = t.threads().at(7);
    EXPECT_EQ(s.runtime_ns, 27 * kMs);
    EXPECT_EQ(s.switches_involuntary, 1u);
    EXPECT_EQ(s.switches_voluntary, 2u);
    EXPECT_EQ(s.waits.count(), 2u);
    EXPECT_EQ(s.waits.max(), 4 * kMs);
    EXPECT_EQ(s.wait_max_end_ns, 34 * kMs);
    EXPECT_EQ(s.longest_run_ns, 20 * kMs);
    EXPECT_EQ(s.longest_run_start_ns, 10 * kMs);
    EXPECT_EQ(s.cpu_changes, 1u);
    EXPECT_EQ(s.migrations(), 1u);
    EXPECT_EQ(s.sleep_ns, 60 * kMs);
    EXPECT_EQ(s.io_wait_ns, 98 * kMs);
    ASSERT_EQ(s.long_blocks.size(), 2u);
    EXPECT_FALSE(s.long_blocks[0].io);
    EXPECT_TRUE(s.long_blocks[1].io);
}

// CPUs' clocks differ by microseconds: a thread moved while it ran can be seen switched in on
// its new CPU a little before its switch out from the old one. Both runs count.
TEST(SchedTracker, ASwitchInOnTheNewCpuBeforeTheSwitchOutFromTheOldKeepsBothRuns) {
    constexpr uint64_t kUs = 1000;
    SchedTracker t(0, 50 * kMs);
    t.switch_in(7, 10 * kMs, 0);
    t.switch_in(7, 20 * kMs - 3 * kUs, 1);           // on CPU 1, 3 us "before" leaving CPU 0
    t.switch_out(7, 20 * kMs, 0, kPreempted);          // the old run's switch out, late
    t.switch_in(9, 20 * kMs, 0);                       // another thread takes CPU 0
    t.switch_out(7, 50 * kMs - 3 * kUs, 1, kSleeping); // the new run's end
    t.switch_out(9, 60 * kMs, 0, kSleeping);
    t.finish(100 * kMs);
    const ThreadSched& s = t.threads().at(7);
    EXPECT_EQ(s.runtime_ns, 40 * kMs - 3 * kUs) << "10 ms on CPU 0 (to the switch in on CPU 1) and 30 ms on CPU 1";
    EXPECT_EQ(s.longest_run_ns, 30 * kMs);
    EXPECT_EQ(s.switches_involuntary, 1u);
    EXPECT_EQ(s.switches_voluntary, 1u);
    EXPECT_EQ(s.cpu_changes, 1u);
    EXPECT_EQ(t.threads().at(9).runtime_ns, 40 * kMs);
    EXPECT_EQ(t.unended_runs(), 0u);
}

// A task that switches out without an event (seen on a VM: a thread of the host's agent)
// hides the switch in of the task after it; that task's first event on the CPU starts its run.
TEST(SchedTracker, AnEventOfAThreadNotSwitchedInStartsItsRun) {
    SchedTracker t(0, 50 * kMs);
    t.switch_in(7, 10 * kMs, 0);
    t.switch_out(7, 20 * kMs, 0, kPreempted);  // to thread 98, whose own switch out is never told
    t.switch_in(98, 20 * kMs, 0);
    t.running(7, 21 * kMs, 0);                 // 7's event: it runs again, since at most 1 ms
    t.running(7, 22 * kMs, 0);                 // running still: nothing new
    t.switch_out(7, 30 * kMs, 0, kSleeping);
    t.running(5, 31 * kMs, 0);                 // a thread never seen before: left to its switch out
    t.finish(100 * kMs);
    const ThreadSched& s = t.threads().at(7);
    EXPECT_EQ(s.runtime_ns, 19 * kMs);
    EXPECT_EQ(s.waits.count(), 1u);
    EXPECT_EQ(s.waits.max(), 1 * kMs);
    EXPECT_EQ(t.inferred_runs(), 1u);
    EXPECT_EQ(t.unended_runs(), 1u) << "98's run: when it ended is unknown";
    EXPECT_EQ(t.threads().at(98).runtime_ns, 0u);
    EXPECT_EQ(t.threads().count(5), 0u);
}

TEST(SchedTracker, ASwitchInToldTwiceCountsOnceAndMigrationEventsWin) {
    SchedTracker t(0, 0);
    t.switch_in(5, 10, 0);
    t.switch_in(5, 12, 0);  // the PERF_RECORD_SWITCH of the same switch
    t.switch_out(5, 20, 0, kSleeping);
    t.migrated(5);
    t.migrated(5);
    t.finish(30);
    const ThreadSched& s = t.threads().at(5);
    EXPECT_EQ(s.runtime_ns, 10u);
    EXPECT_EQ(s.migrations(), 2u);
}

TEST(SchedTracker, AThreadFirstSeenLeavingRanSinceTheStart) {
    SchedTracker t(1000, 0);
    t.switch_out(3, 1500, 0, kSleeping);
    EXPECT_EQ(t.threads().at(3).runtime_ns, 500u);
    EXPECT_EQ(t.threads().at(3).longest_run_ns, 500u);
}

TEST(SchedTracker, ARunWhoseEndWasNeverSeenIsLeftOut) {
    SchedTracker t(0, 0);
    t.switch_in(9, 10, 0);   // a task whose own switch out the kernel never reports
    t.switch_out(4, 50, 0, kSleeping);  // another task leaves CPU 0: 9 left it unseen
    t.finish(100);
    EXPECT_EQ(t.threads().at(9).runtime_ns, 0u);
    EXPECT_EQ(t.unended_runs(), 1u);
}

// The exit is told before the kernel's exit work, which the thread's last switch out ends: the
// run lasts to that switch (as perf sched timehist counts it), and nothing stays open.
TEST(SchedTracker, TheLastSwitchOutAfterTheExitEndsTheRun) {
    SchedTracker t(0, 0);
    t.switch_in(8, 10, 0);
    t.exited(8, 25);
    t.switch_out(8, 40, 0, kDead);
    t.finish(100);
    const ThreadSched& s = t.threads().at(8);
    EXPECT_EQ(s.runtime_ns, 30u);
    EXPECT_EQ(s.longest_run_ns, 30u);
    EXPECT_EQ(s.switches_voluntary + s.switches_involuntary, 0u);
    EXPECT_EQ(s.waits.count(), 0u);
}

// Without that switch out, the run ends at the exit: at the end of the recording, or when
// another task is seen leaving the CPU.
TEST(SchedTracker, WithoutItsLastSwitchOutAnExitedThreadsRunEndsAtTheExit) {
    SchedTracker t(0, 0);
    t.switch_in(8, 10, 0);
    t.exited(8, 25);
    t.switch_in(9, 10, 1);
    t.exited(9, 30);
    t.switch_out(4, 50, 1, kSleeping);  // another task leaves CPU 1
    t.finish(100);
    EXPECT_EQ(t.threads().at(8).runtime_ns, 15u);
    EXPECT_EQ(t.threads().at(9).runtime_ns, 20u);
    EXPECT_EQ(t.unended_runs(), 0u);
}

TEST(SyscallTracker, PairsPerThreadCountsErrorsAndKeepsTheLastCalls) {
    SyscallTracker t(2);
    const std::array<uint64_t, 6> args{1, 2, 3, 4, 5, 6};
    t.enter(100, 101, 10, 257, args);
    t.enter(100, 102, 11, 39, args);  // another thread in between
    t.exit(100, 101, 30, 257, -2);    // openat: ENOENT after 20 ns
    t.exit(100, 102, 12, 39, 100);
    t.enter(100, 101, 40, 257, args);
    t.exit(100, 101, 45, 257, 3);
    t.enter(100, 101, 50, 0, args);
    t.exit(100, 101, 60, 0, 8);
    t.exit(100, 101, 70, 1, 8);       // an exit without its entry
    t.enter(100, 103, 80, 231, args);  // exit_group: never returns
    t.thread_exited(103);
    t.enter(100, 104, 90, 7, args);   // still in poll at the end
    t.finish();
    const ProcessSyscalls& p = t.processes().at(100);
    EXPECT_EQ(p.calls, 4u);
    EXPECT_EQ(p.errors, 1u);
    const SyscallStats& openat = p.by_nr.at(257);
    EXPECT_EQ(openat.count, 2u);
    EXPECT_EQ(openat.errors.at(2), 1u);
    EXPECT_EQ(openat.latency.max(), 20u);
    EXPECT_EQ(openat.latency.sum(), 25u);
    EXPECT_EQ(t.unpaired_exits(), 1u);
    EXPECT_EQ(t.in_flight(), 1u);
    const auto& last = t.last_calls().at(101);
    ASSERT_EQ(last.size(), 2u);
    EXPECT_EQ(last.front().nr, 257);
    EXPECT_EQ(last.back().nr, 0);
    EXPECT_EQ(last.back().duration_ns, 10u);
    EXPECT_EQ(last.back().args[2], 3u);
    EXPECT_EQ(syscall_errno(-4095), 4095);
    EXPECT_EQ(syscall_errno(-4096), 0) << "a large negative value is not an errno";
}

TEST(LatencyHistogram, PercentilesAreWithinASixteenthOfTheExactOnes) {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(10.0, 2.0);  // ns, over many magnitudes
    LatencyHistogram h;
    std::vector<uint64_t> values;
    for (int i = 0; i < 20000; ++i) {
        const auto v = static_cast<uint64_t>(dist(rng));
        values.push_back(v);
        h.add(v);
    }
    std::sort(values.begin(), values.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const uint64_t exact = values[static_cast<size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1];
        const uint64_t got = h.percentile(q);
        EXPECT_GE(got, exact) << q;
        EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1.0 + 1.0 / 16) + 1) << q;
    }
    EXPECT_EQ(h.percentile(1.0), values.back());
    EXPECT_EQ(h.max(), values.back());
    LatencyHistogram two;
    two.add(10);
    two.add(1000);
    EXPECT_EQ(two.percentile(0.99), 1000u) << "the p99 of two values is the larger";
    EXPECT_EQ(LatencyHistogram().percentile(0.99), 0u);
}
