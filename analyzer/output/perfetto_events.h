// What kiln exports to a Perfetto trace, as plain data: the collector
// (perfetto_collector.h) fills it from a recording, the writer (perfetto_writer.h) encodes it.
// Times are on the recording's clock (CLOCK_MONOTONIC for kiln recordings), in nanoseconds.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kiln::analyzer {

// Thread names, each kept once: a scheduler event names two threads, and a busy machine has
// tens of millions of events in a few minutes (a string in each took ~130 bytes an event).
class PerfettoNames {
public:
    // The id of name, added if new; 0 is "".
    uint32_t id(std::string_view name) {
        if (name.empty()) return 0;
        auto [it, added] = ids_.try_emplace(std::string(name), static_cast<uint32_t>(names_.size()));
        if (added) names_.push_back(it->first);
        return it->second;
    }
    const std::string& operator[](uint32_t id) const { return names_[id < names_.size() ? id : 0]; }

private:
    std::vector<std::string> names_{""};
    std::unordered_map<std::string, uint32_t> ids_;
};

// A sched_switch as the kernel's tracepoint reports it, on the CPU it happened on.
struct PerfettoSwitch {
    uint64_t time = 0;
    uint32_t cpu = 0;
    int32_t prev_pid = 0;  // kernel pids: thread ids
    uint32_t prev_comm = 0;  // PerfettoExport::names
    int32_t prev_prio = 0;
    int64_t prev_state = 0;  // TASK_REPORT bits (0 runnable, 1 S, 2 D ...)
    int32_t next_pid = 0;
    uint32_t next_comm = 0;
    int32_t next_prio = 0;
};

// A sched_waking (waking = true) or sched_wakeup, on the waker's CPU.
struct PerfettoWake {
    uint64_t time = 0;
    uint32_t cpu = 0;
    int32_t waker_tid = 0;  // the task running when it happened
    int32_t pid = 0;        // the woken thread
    uint32_t comm = 0;      // PerfettoExport::names
    int32_t prio = 0;
    int32_t target_cpu = -1;  // -1: not recorded
    bool waking = true;
};

struct PerfettoProcess {
    int32_t pid = 0;
    int32_t ppid = 0;
    std::string name;
    std::vector<std::string> cmdline;
};

struct PerfettoThread {
    int32_t tid = 0;
    int32_t pid = 0;
    std::string name;
};

enum class PerfettoCounterUnit : uint8_t { kNone, kCount, kBytes };

// One counter track: a value from each time on until the next.
struct PerfettoCounter {
    std::string name;  // the timeline's series names: load.running, cpu.0.busy, process.PID.rss ...
    PerfettoCounterUnit unit = PerfettoCounterUnit::kNone;
    int32_t pid = 0;   // > 0: the track belongs to this process
    std::vector<std::pair<uint64_t, double>> points;  // time, value; in time order
};

// fork, exec and exit of a process, as instants on the process's track.
struct PerfettoInstant {
    uint64_t time = 0;
    int32_t pid = 0;
    std::string name;  // "fork", "exec", "exit"
    std::string detail;  // the new command (exec), the parent pid (fork)
};

// One symbolized frame: a function, in a binary.
struct PerfettoFrame {
    std::string function;   // as folded output and flame graphs name it (kernel frames end in _[k])
    std::string binary;     // mapping path, "" for kiln's own frames
    std::string build_id;   // lowercase hex, "" if unknown
    uint64_t rel_pc = 0;    // address relative to the binary's start (file offset)
};

struct PerfettoSample {
    uint64_t time = 0;
    uint32_t cpu = 0;
    int32_t pid = 0, tid = 0;
    uint32_t stack = 0;     // index into PerfettoExport::stacks
    bool kernel = false;    // the sample interrupted kernel code
};

struct PerfettoExport {
    uint32_t clock_id = 1;           // POSIX clock of all times (the header's clock_id)
    uint64_t start_time_ns = 0;      // recording start on that clock
    uint64_t start_realtime_ns = 0;  // the same moment on CLOCK_REALTIME, 0 if unknown
    std::vector<PerfettoProcess> processes;
    std::vector<PerfettoThread> threads;
    PerfettoNames names;                   // the switches' and wakes' thread names
    // Deques, not vectors: they grow without copying, where a vector's growth held the old
    // and the new array at once (3x the events' memory at its peak).
    std::deque<PerfettoSwitch> switches;  // in time order
    std::deque<PerfettoWake> wakes;       // in time order
    std::vector<PerfettoCounter> counters;
    std::deque<PerfettoInstant> instants;   // in time order
    std::vector<PerfettoFrame> frames;
    std::vector<std::vector<uint32_t>> stacks;  // frame indexes, ROOT FIRST (Perfetto's order)
    std::deque<PerfettoSample> samples;         // in time order
    std::vector<std::string> warnings;

    bool has_timeline() const { return !switches.empty() || !counters.empty(); }
};

}  // namespace kiln::analyzer
