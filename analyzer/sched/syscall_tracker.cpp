#include "analyzer/sched/syscall_tracker.h"

namespace kiln::analyzer {

void SyscallTracker::enter(int32_t pid, int32_t tid, uint64_t time, int64_t nr, const std::array<uint64_t, 6>& args) {
    Pending& p = pending_[tid];
    // An entry without its exit (lost, or exit_group's, which never returns): a call not counted.
    if (p.active) ++in_flight_;
    p = Pending{true, time, nr, args};
    if (pid > 0) pid_of_[tid] = pid;
}

void SyscallTracker::exit(int32_t pid, int32_t tid, uint64_t time, int64_t nr, int64_t ret) {
    auto it = pending_.find(tid);
    if (it == pending_.end() || !it->second.active || it->second.nr != nr) {
        ++unpaired_exits_;
        if (it != pending_.end() && it->second.active) {
            ++in_flight_;
            it->second.active = false;
        }
        return;
    }
    Pending& p = it->second;
    p.active = false;
    const uint64_t duration = time > p.time ? time - p.time : 0;
    if (pid <= 0) {
        auto known = pid_of_.find(tid);
        pid = known == pid_of_.end() ? tid : known->second;
    }
    ProcessSyscalls& proc = processes_[pid];
    SyscallStats& s = proc.by_nr[nr];
    ++s.count;
    ++proc.calls;
    ++calls_;
    s.latency.add(duration);
    if (const int err = syscall_errno(ret)) {
        ++s.errors[err];
        ++proc.errors;
    }
    if (last_n_ > 0) {
        auto& last = last_[tid];
        last.push_back(SyscallCall{p.time, duration, nr, p.args, ret});
        if (last.size() > last_n_) last.pop_front();
    }
}

void SyscallTracker::thread_exited(int32_t tid) { pending_.erase(tid); }

void SyscallTracker::finish() {
    for (auto& [tid, p] : pending_)
        if (p.active) ++in_flight_;
    pending_.clear();
}

}  // namespace kiln::analyzer
