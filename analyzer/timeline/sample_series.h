// Timeline series from the record stream: samples per window, on-CPU time per process from
// clock-event samples, page faults, syscalls entered (--syscalls), and off-CPU time from sched:sched_switch (blocks found as
// the offcpu view finds them). Memory is a value per window and series (plus one open block
// per switched-out thread), never per sample; a process's or thread's values only span the
// windows it was seen in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/decode/record_stream.h"
#include "analyzer/timeline/timeline.h"
#include "analyzer/timeline/window_sums.h"
#include "analyzer/views/block_tracker.h"
#include "analyzer/views/sched_tracepoints.h"
#include "formats/recording_header.h"

namespace kiln::analyzer {

class SampleSeriesCollector final : public RecordVisitor {
public:
    // Windows start at start_ns and are window_ns long; records at or after end_ns (when
    // non-zero) are left out. per_process false: no process.PID.oncpu nor thread series.
    SampleSeriesCollector(const format::RecordingHeader& header, uint64_t start_ns, uint64_t window_ns,
                          uint64_t end_ns, bool per_process = true);

    void snapshot(const format::ProcessSnapshot& snapshot) override;
    void record(const perf_event_header& header, std::span<const uint8_t> bytes, int event, uint64_t time) override;

    uint64_t last_time() const { return last_time_; }
    // Whether the recording has an event any series counts (CPU samples, faults, switches).
    bool has_sample_events() const {
        return !cpu_events_.empty() || fault_event_ >= 0 || sched_.has_value() || syscall_event_ >= 0;
    }
    // Appends the series to out (windows set), closing blocks still open at the windows' end,
    // and the pid -> comm labels of every process.PID.* series of out (call it last). Blocks
    // still open end at end_ns (the recording's end).
    void finish(Timeline& out, uint64_t end_ns);
    std::vector<std::string> warnings() const { return warnings_; }

private:
    // Adds value to window i of series, growing it.
    static void add(std::vector<double>& series, size_t i, double value);
    // Spreads a block of off-CPU time over the windows it overlaps.
    void add_blocked(uint64_t from, uint64_t to);
    void blocked(std::optional<Block> b);
    template <typename Make>
    void add_thread_series(Timeline& out, const Make& make);
    void sched_sample(const format::ParsedSample& s, int event, uint64_t time);
    void side_record(const perf_event_header& h, std::span<const uint8_t> bytes, int event, uint64_t time);
    size_t window(uint64_t time) const { return static_cast<size_t>((time - start_ns_) / window_ns_); }
    bool in_range(uint64_t time) const { return time >= start_ns_ && (end_ns_ == 0 || time < end_ns_); }

    const format::RecordingHeader& header_;
    EventTable events_;
    uint64_t start_ns_, window_ns_, end_ns_;
    bool per_process_;
    std::vector<bool> is_cpu_event_;  // per event: counted in "samples"
    std::vector<int> cpu_events_;
    int fault_event_ = -1;
    int syscall_event_ = -1;  // raw_syscalls:sys_enter (--syscalls): syscalls per window
    std::optional<SchedTracepoints> sched_;
    std::vector<double> samples_, faults_, offcpu_, syscalls_;
    std::unordered_map<int32_t, WindowSums> oncpu_;  // pid -> ns per window
    struct ThreadOnCpu {
        int32_t pid = 0;
        WindowSums ns;
    };
    // The busiest processes and threads get a series: memory and output are windows x series.
    static constexpr size_t kMaxProcessSeries = 64;
    static constexpr size_t kMaxThreadSeries = 32;
    std::unordered_map<int32_t, ThreadOnCpu> thread_oncpu_;  // tid ->
    std::unordered_map<int32_t, std::string> thread_comms_;  // tid -> thread name
    BlockTracker blocks_;  // threads off the CPU, as the offcpu view tracks them
    std::unordered_map<int32_t, std::string> comms_;      // pid -> process name
    uint64_t last_time_ = 0;
    uint64_t unparsable_ = 0;
    std::vector<std::string> warnings_;
};

}  // namespace kiln::analyzer
