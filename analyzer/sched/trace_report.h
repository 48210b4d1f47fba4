// The sched, syscalls and portrait views' results: rows built from one TraceCollector pass
// (trace_collector.h), in the units the outputs print (ns, bytes, seconds from the
// recording's start: the time base of --time and the timeline).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/sched/trace_collector.h"
#include "analyzer/views/sample_filter.h"
#include "formats/counters.h"
#include "formats/recording_header.h"

namespace kiln::analyzer {

struct SchedThreadRow {
    int32_t pid = 0, tid = 0;
    std::string comm;
    uint64_t runtime_ns = 0;
    uint64_t switches_voluntary = 0, switches_involuntary = 0, migrations = 0;
    uint64_t wait_count = 0, wait_avg_ns = 0, wait_p99_ns = 0, wait_max_ns = 0;
    double wait_max_at_s = 0;  // when the longest wait ended
    uint64_t longest_run_ns = 0;
    double longest_run_at_s = 0;  // when it started
    uint64_t sleep_ns = 0, io_wait_ns = 0;
    // Runs that start at the thread's first event on the CPU, not at a recorded switch in:
    // the wait before each may be longer than the truth, the run shorter.
    uint64_t runs_inferred = 0;
};

struct SchedReport {
    double duration_s = 0;
    std::vector<SchedThreadRow> threads;  // by run time, longest first
    std::vector<std::string> notes;
};

struct SyscallRow {
    std::string name;
    int64_t nr = 0;
    uint64_t count = 0, errors = 0;
    std::vector<std::pair<std::string, uint64_t>> errors_by_name;  // "ENOENT", calls; most first
    uint64_t total_ns = 0, avg_ns = 0, p99_ns = 0, max_ns = 0;
};

struct SyscallProcessRow {
    int32_t pid = 0;
    std::string comm;
    uint64_t calls = 0, errors = 0;
    std::vector<SyscallRow> syscalls;  // by total time, longest first
};

struct SyscallCallRow {
    double t_s = 0;
    std::string name;
    std::array<uint64_t, 6> args{};
    int64_t ret = 0;
    std::string error;  // "ENOENT" when ret is -errno
    uint64_t duration_ns = 0;
};

struct SyscallThreadCalls {
    int32_t pid = 0, tid = 0;
    std::string comm;
    std::vector<SyscallCallRow> calls;  // oldest first
};

struct SyscallsReport {
    double duration_s = 0;
    uint64_t calls = 0;
    std::vector<SyscallProcessRow> processes;  // by calls, most first
    std::vector<SyscallThreadCalls> last;      // --last N
    std::vector<std::string> notes;
};

// Classes of the portrait, with the thresholds the output states.
struct PortraitThresholds {
    double cpu_percent = 50;                    // cpu: at least this share of one CPU
    double io_bytes_per_s = 1 << 20;            // io: read + write at least this rate ...
    double io_wait_share = 0.2;                 // ... or this share of the time in I/O wait
    double rss_growth_bytes = 64.0 * (1 << 20);  // memory: RSS grew at least this much ...
    double faults_per_s = 10'000;               // ... or at least this many faults a second
    double idle_cpu_percent = 5;                // below every threshold: cpu if above this, else idle
    std::string describe() const;
};

struct PortraitEvent {
    double t_s = 0;
    std::string kind;  // fork, exec, exit, long_block
    std::string detail;
    int64_t value = 0;
};

struct PortraitProcess {
    int32_t pid = 0, ppid = 0;
    std::string comm;
    double cpu_percent = 0;
    std::string cpu_source;  // "counters", "sched", "samples"
    std::optional<uint64_t> rss_max_bytes, rss_growth_bytes, read_bytes, write_bytes, faults, syscalls,
        syscall_errors, switches, migrations;
    uint64_t io_wait_ns = 0;
    std::string class_name;  // cpu, memory, io, idle
    std::string class_reason;
    std::vector<PortraitEvent> events;
};

struct PortraitReport {
    double duration_s = 0;
    PortraitThresholds thresholds;
    std::vector<PortraitProcess> processes;  // by CPU, most first
    std::vector<std::string> notes;
};

struct TraceReportInput {
    const format::RecordingHeader* header = nullptr;
    const TraceCollector* collector = nullptr;
    const std::vector<format::CounterSnapshot>* counters = nullptr;  // may be empty
    uint32_t ticks_per_second = 100;
    uint64_t start_ns = 0, end_ns = 0;  // the span analyzed (--time), on the samples' clock
    SampleFilter rows;                  // --pid/--tid/--comm: which rows to keep
};

SchedReport build_sched_report(const TraceReportInput& in);
SyscallsReport build_syscalls_report(const TraceReportInput& in);
PortraitReport build_portrait_report(const TraceReportInput& in);

}  // namespace kiln::analyzer
