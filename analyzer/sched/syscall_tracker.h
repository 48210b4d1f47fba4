// Syscalls paired per thread (the `syscalls` view, as perf trace -s and BCC syscount -L count
// them): an entry with the thread's next exit of the same syscall is one call with its
// latency; per process and syscall number, the count, the errors by errno and the latency
// distribution; per thread, the last N calls with arguments, return value and duration.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>

#include "analyzer/sched/latency_histogram.h"

namespace kiln::analyzer {

struct SyscallStats {
    uint64_t count = 0;
    std::map<int, uint64_t> errors;  // errno -> calls that returned -errno
    LatencyHistogram latency;
    uint64_t error_count() const {
        uint64_t n = 0;
        for (const auto& [e, c] : errors) n += c;
        return n;
    }
};

struct SyscallCall {
    uint64_t enter_ns = 0, duration_ns = 0;
    int64_t nr = 0;
    std::array<uint64_t, 6> args{};
    int64_t ret = 0;
};

struct ProcessSyscalls {
    std::map<int64_t, SyscallStats> by_nr;
    uint64_t calls = 0, errors = 0;
};

class SyscallTracker {
public:
    explicit SyscallTracker(size_t last_per_thread) : last_n_(last_per_thread) {}

    void enter(int32_t pid, int32_t tid, uint64_t time, int64_t nr, const std::array<uint64_t, 6>& args);
    void exit(int32_t pid, int32_t tid, uint64_t time, int64_t nr, int64_t ret);
    // A thread that ended: its unreturned call (exit_group, exit) is dropped from in-flight.
    void thread_exited(int32_t tid);
    void finish();

    const std::map<int32_t, ProcessSyscalls>& processes() const { return processes_; }
    const std::map<int32_t, std::deque<SyscallCall>>& last_calls() const { return last_; }
    std::map<int32_t, int32_t> thread_pids() const { return pid_of_; }
    uint64_t unpaired_exits() const { return unpaired_exits_; }  // entered before the recording
    uint64_t in_flight() const { return in_flight_; }            // not returned by its end
    uint64_t calls() const { return calls_; }

private:
    struct Pending {
        bool active = false;
        uint64_t time = 0;
        int64_t nr = 0;
        std::array<uint64_t, 6> args{};
    };
    size_t last_n_;
    std::unordered_map<int32_t, Pending> pending_;  // by tid
    std::map<int32_t, ProcessSyscalls> processes_;  // by pid
    std::map<int32_t, std::deque<SyscallCall>> last_;  // by tid
    std::map<int32_t, int32_t> pid_of_;
    uint64_t unpaired_exits_ = 0, in_flight_ = 0, calls_ = 0;
};

// The errno of a syscall's return value (-4095..-1), or 0 when it did not fail.
inline int syscall_errno(int64_t ret) { return ret < 0 && ret >= -4095 ? static_cast<int>(-ret) : 0; }

}  // namespace kiln::analyzer
