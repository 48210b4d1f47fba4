#include "analyzer/sched/sched_tracker.h"

#include <algorithm>

namespace kiln::analyzer {

namespace {
// prev_state's low byte (TASK_REPORT): 0 runnable; 0x02 uninterruptible; 0x10/0x20 dead or
// zombie. Bits from 0x100 up (TASK_REPORT_MAX) mark a preemption, whatever the low byte says.
constexpr int64_t kStateMask = 0xff, kUninterruptible = 0x02, kDeadOrZombie = 0x30, kPreemptedMark = 0x100;
}  // namespace

ThreadSched& SchedTracker::thread(int32_t tid) {
    ThreadSched& t = threads_[tid];
    t.tid = tid;
    return t;
}

void SchedTracker::end_wait(ThreadSched& t, uint64_t time) {
    if (t.wait_start_ns == 0) return;
    const uint64_t wait = time > t.wait_start_ns ? time - t.wait_start_ns : 0;
    if (wait >= t.waits.max()) t.wait_max_end_ns = time;
    t.waits.add(wait);
    t.wait_start_ns = 0;
}

void SchedTracker::end_block(ThreadSched& t, uint64_t time) {
    if (t.block_start_ns == 0) return;
    const uint64_t d = time > t.block_start_ns ? time - t.block_start_ns : 0;
    (t.block_io ? t.io_wait_ns : t.sleep_ns) += d;
    if (long_block_ns_ > 0 && d >= long_block_ns_ && t.long_blocks.size() < kMaxLongBlocks)
        t.long_blocks.push_back({t.block_start_ns, d, t.block_io});
    t.block_start_ns = 0;
}

void SchedTracker::close_run(ThreadSched& t, uint64_t time) {
    const uint64_t ran = time - std::min(time, t.run_start_ns);
    t.runtime_ns += ran;
    if (ran > t.longest_run_ns) {
        t.longest_run_ns = ran;
        t.longest_run_start_ns = t.run_start_ns;
    }
    t.on_cpu = false;
}

namespace {

// What a switch out's prev_state says the task does next.
enum class Leaving : uint8_t { kExits, kWaitsForACpu, kBlocks };

Leaving leaving(int64_t prev_state) {
    const int64_t state = prev_state & kStateMask;
    if (prev_state & kPreemptedMark) return Leaving::kWaitsForACpu;
    if (state & kDeadOrZombie) return Leaving::kExits;
    return state == 0 ? Leaving::kWaitsForACpu : Leaving::kBlocks;
}

void count_switch(ThreadSched& t, Leaving how) {
    if (how == Leaving::kWaitsForACpu) ++t.switches_involuntary;
    if (how == Leaving::kBlocks) ++t.switches_voluntary;
}

}  // namespace

void SchedTracker::drop_unseen_run(int32_t cpu, int32_t tid) {
    auto current = on_cpu_.find(cpu);
    if (current == on_cpu_.end()) return;
    if (current->second != tid) {
        auto other = threads_.find(current->second);
        if (other != threads_.end() && other->second.on_cpu && other->second.cpu == cpu) {
            if (other->second.exit_ns != 0)
                close_run(other->second, other->second.exit_ns);
            else
                ++unended_runs_;
            other->second.on_cpu = false;
        }
    }
    on_cpu_.erase(current);
}

void SchedTracker::switch_out(int32_t tid, uint64_t time, int32_t cpu, int64_t prev_state) {
    drop_unseen_run(cpu, tid);
    if (tid <= 0) return;
    ThreadSched& t = thread(tid);
    const Leaving how = leaving(prev_state);
    // Running on another CPU already: this is the switch out of the run before, which
    // switch_in() closed (see there). The switch is counted; the thread's state stays.
    if (t.on_cpu && cpu >= 0 && t.cpu >= 0 && cpu != t.cpu) {
        count_switch(t, how);
        return;
    }
    if (t.on_cpu || !t.seen) {
        // First seen leaving a CPU: it has run since recording started.
        const uint64_t from = t.on_cpu ? t.run_start_ns : std::min(start_ns_, time);
        const uint64_t ran = time - std::min(time, from);
        t.runtime_ns += ran;
        if (ran > t.longest_run_ns) {
            t.longest_run_ns = ran;
            t.longest_run_start_ns = from;
        }
    }
    t.seen = true;
    t.on_cpu = false;
    t.cpu = cpu;
    count_switch(t, how);
    switch (how) {
        case Leaving::kExits: t.exited = true; break;
        case Leaving::kWaitsForACpu: t.wait_start_ns = time; break;  // runnable: waits for a CPU from now
        case Leaving::kBlocks:
            t.block_start_ns = time;
            t.block_io = (prev_state & kStateMask & kUninterruptible) != 0;
            break;
    }
}

void SchedTracker::switch_in(int32_t tid, uint64_t time, int32_t cpu) {
    if (tid <= 0) return;
    ThreadSched& t = thread(tid);
    if (t.on_cpu && (cpu < 0 || t.cpu < 0 || cpu == t.cpu)) return;  // told twice (sched_switch and PERF_RECORD_SWITCH)
    if (t.on_cpu) {
        // Switched in on another CPU while its run on the last one is still open: the CPUs'
        // clocks differ by microseconds, so a migrating thread's switch in can carry an earlier
        // time than its switch out from the CPU it left. That run ends now (the switch out,
        // when it comes, is only counted); left open, the new run would be lost.
        close_run(t, time);
        if (auto old = on_cpu_.find(t.cpu); old != on_cpu_.end() && old->second == tid) on_cpu_.erase(old);
    }
    if (t.seen && t.cpu >= 0 && cpu >= 0 && cpu != t.cpu) ++t.cpu_changes;
    end_block(t, time);  // woken without a wakeup event seen
    end_wait(t, time);
    t.seen = true;
    t.on_cpu = true;
    t.cpu = cpu;
    t.run_start_ns = time;
    if (cpu >= 0) on_cpu_[cpu] = tid;
}

void SchedTracker::running(int32_t tid, uint64_t time, int32_t cpu) {
    if (tid <= 0 || cpu < 0) return;
    auto it = threads_.find(tid);
    // Not seen yet: its first switch out counts its run from the recording's start.
    if (it == threads_.end() || !it->second.seen || it->second.exited) return;
    ThreadSched& t = it->second;
    if (t.on_cpu && t.cpu == cpu) return;
    drop_unseen_run(cpu, tid);
    ++inferred_runs_;
    ++t.runs_inferred;
    switch_in(tid, time, cpu);
}

void SchedTracker::woken(int32_t tid, uint64_t time) {
    if (tid <= 0) return;
    ThreadSched& t = thread(tid);
    if (t.on_cpu || t.wait_start_ns != 0) return;  // running already, or woken twice
    end_block(t, time);
    t.wait_start_ns = time;
}

void SchedTracker::migrated(int32_t tid) {
    if (tid > 0) ++thread(tid).migrate_events;
}

void SchedTracker::exited(int32_t tid, uint64_t time) {
    auto it = threads_.find(tid);
    if (it == threads_.end()) return;
    ThreadSched& t = it->second;
    // A running thread's run stays open: the exit is told before the thread's last switch out
    // (the kernel's exit work runs after it), which closes the run. Where that switch never
    // comes, the run ends at the exit (drop_unseen_run, finish).
    t.exit_ns = std::max<uint64_t>(time, 1);
    t.wait_start_ns = t.block_start_ns = 0;
    t.exited = true;
}

void SchedTracker::set_pid(int32_t tid, int32_t pid) {
    if (tid > 0 && pid > 0) thread(tid).pid = pid;
}

void SchedTracker::set_comm(int32_t tid, std::string_view comm) {
    if (tid > 0 && !comm.empty()) thread(tid).comm = std::string(comm);
}

void SchedTracker::finish(uint64_t end_ns) {
    for (auto& [tid, t] : threads_) {
        if (t.exited) {
            if (t.on_cpu && t.exit_ns != 0) close_run(t, t.exit_ns);
            continue;
        }
        if (t.on_cpu) close_run(t, end_ns);
        // A wait still open at the end is not a finished wait: left out of the latencies.
        t.wait_start_ns = 0;
        end_block(t, end_ns);
    }
}

}  // namespace kiln::analyzer
