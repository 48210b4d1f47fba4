// Per-thread scheduling statistics from switch, wakeup and migration events (the `sched`
// view, as perf sched latency/timehist and BCC runqlat count them): run time, voluntary and
// involuntary switches, migrations, run-queue wait (from the wakeup, or from the preemption,
// to the switch in) and the longest stretch on a CPU. Fed in time order; a switch seen twice
// (a sched_switch's next task and its PERF_RECORD_SWITCH) counts once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/sched/latency_histogram.h"

namespace kiln::analyzer {

// A long time off the CPU (sleeping or in uninterruptible I/O wait), a key moment of a process.
struct LongBlock {
    uint64_t start_ns = 0, duration_ns = 0;
    bool io = false;  // uninterruptible (D): I/O, mostly
};

struct ThreadSched {
    int32_t pid = -1, tid = 0;
    std::string comm;
    uint64_t runtime_ns = 0;
    uint64_t switches_voluntary = 0, switches_involuntary = 0;
    uint64_t migrate_events = 0;  // sched_migrate_task
    uint64_t cpu_changes = 0;     // switched in on another CPU than it left
    uint64_t runs_inferred = 0;   // runs whose switch in was not recorded (SchedTracker::running)
    LatencyHistogram waits;       // runnable to on a CPU
    uint64_t wait_max_end_ns = 0;  // when the longest wait ended
    uint64_t longest_run_ns = 0, longest_run_start_ns = 0;
    uint64_t sleep_ns = 0, io_wait_ns = 0;  // off the CPU, not runnable
    std::vector<LongBlock> long_blocks;     // the first kMaxLongBlocks of at least the threshold

    // sched_migrate_task counts every migration; where the recording could not see them
    // (per-task recordings see only some), the CPU changes are a lower bound.
    uint64_t migrations() const { return migrate_events > cpu_changes ? migrate_events : cpu_changes; }

    // Tracking state.
    bool seen = false, on_cpu = false, exited = false;
    int32_t cpu = -1;
    uint64_t run_start_ns = 0;
    uint64_t exit_ns = 0;         // when it exited (0: not yet)
    uint64_t wait_start_ns = 0;   // runnable since (0: not waiting)
    uint64_t block_start_ns = 0;  // off the CPU, not runnable, since (0: not blocked)
    bool block_io = false;
};

class SchedTracker {
public:
    static constexpr size_t kMaxLongBlocks = 16;
    // start_ns: when recording started (a thread first seen leaving a CPU ran since then).
    SchedTracker(uint64_t start_ns, uint64_t long_block_ns) : start_ns_(start_ns), long_block_ns_(long_block_ns) {}

    // prev_state as sched_switch reports it (TASK_REPORT bits; 0x100 and above: preempted).
    void switch_out(int32_t tid, uint64_t time, int32_t cpu, int64_t prev_state);
    void switch_in(int32_t tid, uint64_t time, int32_t cpu);
    // An event in tid's context on cpu at time: it runs there. When its switch in was not seen
    // (the task before it switched out without an event, as some do), its run starts here.
    void running(int32_t tid, uint64_t time, int32_t cpu);
    void woken(int32_t tid, uint64_t time);
    void migrated(int32_t tid);
    void exited(int32_t tid, uint64_t time);
    void set_pid(int32_t tid, int32_t pid);
    void set_comm(int32_t tid, std::string_view comm);
    // Closes what is still running or waiting at end_ns.
    void finish(uint64_t end_ns);

    const std::map<int32_t, ThreadSched>& threads() const { return threads_; }
    // Runs whose end was never recorded (the kernel delivers no events in the context of some
    // tasks, e.g. a sandbox's own): left out of the run time.
    uint64_t unended_runs() const { return unended_runs_; }
    // Runs that running() started, their switch in not seen.
    uint64_t inferred_runs() const { return inferred_runs_; }

private:
    ThreadSched& thread(int32_t tid);
    void end_wait(ThreadSched& t, uint64_t time);
    void end_block(ThreadSched& t, uint64_t time);
    // Adds the run from run_start_ns to time to the run time (and the longest run); off the CPU.
    void close_run(ThreadSched& t, uint64_t time);
    // The thread this CPU ran last, when it is not tid, left it without an event, when is
    // unknown: its run is not counted (unended_runs). The CPU's entry is cleared.
    void drop_unseen_run(int32_t cpu, int32_t tid);

    uint64_t start_ns_, long_block_ns_;
    std::map<int32_t, ThreadSched> threads_;  // by tid; the idle task (0) is not kept
    std::unordered_map<int32_t, int32_t> on_cpu_;  // CPU -> the thread switched in last
    uint64_t unended_runs_ = 0;
    uint64_t inferred_runs_ = 0;
};

}  // namespace kiln::analyzer
