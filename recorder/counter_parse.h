// Pure parsers of the /proc texts the counter thread reads (counter_reader.h does the I/O).
// They take the text as the kernel printed it and return typed values; a text they cannot
// read is an error naming the file, never a silent zero.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/counters.h"
#include "formats/result.h"

namespace kiln::recorder {

// /proc/loadavg: "0.52 0.58 0.59 2/1046 12345".
struct LoadAvg {
    uint32_t load1_milli = 0, load5_milli = 0, load15_milli = 0;
    uint32_t running = 0, threads = 0;
};
Result<LoadAvg> parse_loadavg(std::string_view text);

// /proc/stat: the per-CPU lines (not the "cpu" total), procs_running and procs_blocked.
// `cpus` is cleared and refilled, so a caller can keep its capacity from tick to tick.
struct ProcStat {
    uint32_t procs_running = 0, procs_blocked = 0;
    std::vector<format::CpuTimes> cpus;
};
Status parse_proc_stat(std::string_view text, ProcStat& out);

// /proc/pressure/{cpu,memory,io}: a "some" line and, except for cpu before Linux 5.13, a
// "full" line. present is set.
Result<format::Pressure> parse_pressure(std::string_view text);

// /proc/PID/stat. The comm may hold spaces and ')': the fields start after the LAST ')'.
struct PidStat {
    int32_t pid = 0;
    char state = '?';
    uint64_t flags = 0;  // field 9, PF_* of the main thread
    uint64_t utime = 0, stime = 0;  // ticks, every thread of the process (dead ones included)
    uint64_t rss_pages = 0;
    uint64_t start_ticks = 0;  // field 22, starttime: tells a reused pid from the process before
    bool kernel_thread() const { return (flags & kPfKthread) != 0; }
    static constexpr uint64_t kPfKthread = 0x00200000;  // PF_KTHREAD, include/linux/sched.h
};
Result<PidStat> parse_pid_stat(std::string_view text);

// /proc/PID/status: the process-level context switch counts (the sum over its threads).
struct PidStatus {
    uint64_t voluntary_switches = 0, involuntary_switches = 0;
};
Result<PidStatus> parse_pid_status(std::string_view text);

// /proc/PID/io: the bytes the process made the storage layer fetch or send.
struct PidIo {
    uint64_t read_bytes = 0, write_bytes = 0;
};
Result<PidIo> parse_pid_io(std::string_view text);

}  // namespace kiln::recorder
