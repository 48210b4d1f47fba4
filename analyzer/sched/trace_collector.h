// One pass over a recording for the sched, syscalls and portrait views: decodes the scheduler
// and syscall tracepoints (formats/trace_events.h), the task sideband (fork, exec, exit) and
// the CPU and page-fault samples, and feeds a SchedTracker, a SyscallTracker and per-process
// activity (key moments, CPU and faults). Memory grows with threads, processes and syscall
// kinds, not with records.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/sched/sched_tracker.h"
#include "analyzer/sched/syscall_tracker.h"
#include "formats/recording_header.h"
#include "formats/result.h"
#include "formats/trace_events.h"

namespace kiln::analyzer {

struct ProcessMoment {
    enum class Kind : uint8_t { kFork, kExec, kExit, kLongBlock };
    uint64_t time_ns = 0;
    Kind kind = Kind::kFork;
    int32_t tid = 0;
    std::string detail;  // fork: the child's pid; exec: the new command; exit: the status
    int64_t value = 0;   // fork: child pid; exit: status (-1 unknown); long block: ns
};
const char* moment_kind_name(ProcessMoment::Kind kind);

struct ProcessActivity {
    int32_t pid = 0, ppid = 0;
    std::string comm;
    std::vector<ProcessMoment> moments;  // in time order, at most kMaxMoments
    uint64_t moments_dropped = 0;
    uint64_t cpu_samples = 0, cpu_ns = 0;  // samples of CPU events; ns where the event is a clock
    uint64_t faults = 0;                   // page-fault samples, weighted by their period
    std::optional<int64_t> exit_status;    // from exit_group's argument
    bool exited = false;
};

struct TraceOptions {
    size_t last_syscalls = 0;              // --last N: each thread's last N syscalls
    uint64_t long_block_ns = 100'000'000;  // a block at least this long is a key moment
    uint64_t start_ns = 0;                 // the span's start (--time); 0: the recording's
};

class TraceCollector final : public RecordVisitor {
public:
    static constexpr size_t kMaxMoments = 256;

    // Fails when a scheduler or syscall tracepoint of the recording cannot be decoded.
    static Result<std::unique_ptr<TraceCollector>> create(const format::RecordingHeader& header,
                                                          const TraceOptions& options);

    void snapshot(const format::ProcessSnapshot& snapshot) override;
    void record(const perf_event_header& header, std::span<const uint8_t> bytes, int event, uint64_t time) override;
    // After the last record: closes runs, waits and blocks at end_ns; adds long blocks to the moments.
    void finish(uint64_t end_ns);

    bool has_sched() const { return decoder_.has(format::TraceEventKind::kSchedSwitch); }
    bool has_syscalls() const {
        return decoder_.has(format::TraceEventKind::kSysEnter) && decoder_.has(format::TraceEventKind::kSysExit);
    }
    bool has_cpu_samples() const { return !cpu_events_.empty(); }
    const format::TraceEventDecoder& decoder() const { return decoder_; }
    const SchedTracker& sched() const { return sched_; }
    const SyscallTracker& syscalls() const { return syscalls_; }
    const std::map<int32_t, ProcessActivity>& processes() const { return processes_; }
    uint64_t last_time() const { return last_time_; }
    // PERF_RECORD_SWITCH records that told a recorded thread's switch in.
    uint64_t switch_in_records() const { return switch_in_records_; }
    std::vector<std::string> warnings() const;

private:
    TraceCollector(const format::RecordingHeader& header, format::TraceEventDecoder decoder, const TraceOptions& options);
    ProcessActivity& process(int32_t pid);
    void moment(int32_t pid, ProcessMoment m);
    void sample(const format::ParsedSample& s, int event, uint64_t time);
    void trace_sample(const format::ParsedSample& s, int event, uint64_t time);
    void side_record(const perf_event_header& h, std::span<const uint8_t> bytes, int event, uint64_t time);
    void thread_of(int32_t pid, int32_t tid);
    void thread_exited(int32_t pid, int32_t tid, uint64_t time, const char* unknown_status);

    const format::RecordingHeader& header_;
    EventTable events_;
    format::TraceEventDecoder decoder_;
    SchedTracker sched_;
    SyscallTracker syscalls_;
    std::vector<int> cpu_events_;
    std::vector<bool> is_cpu_event_;
    int fault_event_ = -1;
    bool system_wide_ = false;  // every CPU's switches: sched_switch's next task is a switch in
    std::map<int32_t, ProcessActivity> processes_;
    std::map<int32_t, int32_t> pid_of_tid_;
    uint64_t last_time_ = 0, unparsable_ = 0, undecodable_ = 0, switch_in_records_ = 0;
    std::string first_error_;
};

}  // namespace kiln::analyzer
