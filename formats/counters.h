// Load and resource counters (COUNTERS chunks, format 4.1): what `kiln record` read from /proc
// every --counter-interval (machine) and --proc-interval (processes), on the samples' clock.
// Cumulative kernel counters are stored as read (ticks, bytes, microseconds, switches); the
// analyzer differences them per window. Each chunk holds the snapshots of about a second.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/result.h"

namespace kiln::format {

// One line of /proc/pressure/{cpu,memory,io}: "some" or "full".
struct PressureLine {
    uint32_t avg10_centi = 0;  // avg10 in hundredths of a percent (12.34% -> 1234)
    uint64_t total_us = 0;     // cumulative stall time, microseconds
};

struct Pressure {
    bool present = false;  // the file was readable (PSI is off on some kernels)
    PressureLine some;
    PressureLine full;     // all zero for cpu before Linux 5.13
};

// One CPU of /proc/stat, cumulative, in clock ticks (CounterChunk::ticks_per_second).
struct CpuTimes {
    uint32_t cpu = 0;         // the N of "cpuN"
    uint64_t busy_ticks = 0;  // user + nice + system + irq + softirq + steal
    uint64_t idle_ticks = 0;  // idle + iowait
};

struct MachineCounters {
    // /proc/loadavg: the averages (updated by the kernel every 5 s) and "running/total".
    uint32_t load1_milli = 0, load5_milli = 0, load15_milli = 0;  // 1.25 -> 1250
    uint32_t loadavg_running = 0, loadavg_threads = 0;
    // /proc/stat: the instantaneous run-queue length and tasks in uninterruptible sleep.
    uint32_t procs_running = 0, procs_blocked = 0;
    std::vector<CpuTimes> cpus;
    Pressure cpu, memory, io;
};

// One process, from /proc/PID/stat, /proc/PID/status and /proc/PID/io.
struct ProcessCounters {
    int32_t pid = 0;
    uint64_t cpu_ticks = 0;  // utime + stime of every thread, clock ticks
    uint64_t rss_bytes = 0;
    bool has_io = false;     // /proc/PID/io was readable
    uint64_t read_bytes = 0, write_bytes = 0;  // storage I/O (read_bytes, write_bytes of /proc/PID/io)
    uint64_t voluntary_switches = 0, involuntary_switches = 0;  // every thread's, from status
};

struct CounterSnapshot {
    uint64_t time_ns = 0;  // CLOCK_MONOTONIC, as the samples' time
    MachineCounters machine;
    bool has_processes = false;  // processes were read at this snapshot (every --proc-interval with -a, else always)
    std::vector<ProcessCounters> processes;
};

struct CounterChunk {
    uint32_t ticks_per_second = 100;  // sysconf(_SC_CLK_TCK) of the recording machine
    uint64_t interval_ns = 0;         // --counter-interval
    std::vector<CounterSnapshot> snapshots;
};

std::vector<uint8_t> encode(const CounterChunk& c);
Result<CounterChunk> decode_counter_chunk(std::span<const uint8_t> payload);

}  // namespace kiln::format
