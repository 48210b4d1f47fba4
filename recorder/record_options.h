// Everything `kiln record` was asked to do, after command-line parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::recorder {

enum class CallGraph { kNone, kFramePointer, kDwarf };

// --mem[=faults,mmap,malloc] and --alloc-lib: what recorder/mem_events adds to the events.
struct MemRecording {
    bool faults = false;                  // page-faults with stacks, every one unless -c N
    bool mmap = false;                    // syscalls tracepoints of mmap, munmap, mremap, brk
    bool malloc = false;                  // uprobes/uretprobes on the allocator functions of libc
    std::vector<std::string> alloc_libs;  // --alloc-lib: the same functions in these libraries
    // --alloc-sample BYTES: instead of probing every allocator call, preload kiln's sampler
    // (recorder/alloc_sampler) into the command and probe its two markers, hit about once per
    // BYTES allocated; 0: every call.
    uint64_t sample_mean = 0;
    bool any() const { return faults || mmap || malloc; }
};

struct RecordOptions {
    std::vector<std::string> events;       // -e; empty means the default event (cycles)
    std::optional<uint64_t> frequency;     // -F HZ
    std::optional<uint64_t> period;        // -c PERIOD
    CallGraph call_graph = CallGraph::kFramePointer;
    uint32_t dwarf_stack_bytes = 8192;     // -g dwarf,BYTES
    // -g fp,BYTES: the top of the user stack copied beside the callchain, where a frameless
    // leaf (or a function in its prologue or epilogue) keeps its return address; 0: none.
    uint32_t fp_stack_bytes = 32;
    std::vector<int> pids;                 // -p
    std::vector<int> tids;                 // -t
    bool system_wide = false;              // -a
    std::vector<int> cpus;                 // -C (empty: all online CPUs)
    double duration_s = 0;                 // -d (0: until the target ends or a signal)
    std::string output = "kiln.data";      // -o
    int zstd_level = 1;                    // -z (perf -z uses 1 too: cheapest per byte)
    // Chunks under 128 KiB (format::kSmallChunkBytes) at this level; -z sets it to its own.
    int zstd_small_chunk_level = 9;
    uint32_t mmap_pages = 0;               // -m (0: sized to the rate)
    std::vector<std::string> command;      // -- CMD ARGS
    std::vector<std::string> kiln_argv;    // for the header
    bool quiet = false;
    bool off_cpu = false;                  // --off-cpu: add kOffCpuEvents (if not given with -e)
    bool sched = false;                    // --sched: recorder/trace_events.h kSchedEvents
    bool syscalls = false;                 // --syscalls: raw_syscalls enter and exit
    MemRecording mem;                      // --mem: without -e, only the memory events are recorded
    uint64_t counter_interval_ns = 100'000'000;  // --counter-interval: /proc counters (0: none)
    uint64_t proc_interval_ns = 1'000'000'000;   // --proc-interval: every process's, with -a
    // --switch-output: a new file every period or size (0: not by that); each file is named
    // after -o with its start time (output_file.h timestamped_path), and only the newest
    // max_files are kept (0: all).
    uint64_t switch_output_ns = 0;
    uint64_t switch_output_bytes = 0;
    uint32_t max_files = 0;
    bool switches_output() const { return switch_output_ns > 0 || switch_output_bytes > 0; }
    // --archive: the binaries the recorded processes mapped go into the recording (BINARY
    // chunks, recorder/binary_archive.h), up to archive_max_bytes in all.
    bool archive = false;
    uint64_t archive_max_bytes = uint64_t{1} << 30;
    // The level of a file's small chunks: zstd_small_chunk_level, except with stack copies
    // (-g dwarf), whose chunks, mostly stack deltas, would double the recorder's CPU at it.
    int small_chunk_level() const { return call_graph == CallGraph::kDwarf ? zstd_level : zstd_small_chunk_level; }
};

inline constexpr uint64_t kDefaultFrequency = 999;
inline constexpr const char* kSchedSwitch = "sched:sched_switch";
// What --off-cpu records besides the sampling events: every switch (with the stack of the
// task leaving the CPU) and every wakeup (with the stack of the task waking another).
inline constexpr const char* kOffCpuEvents[] = {kSchedSwitch, "sched:sched_waking"};
inline constexpr uint32_t kMaxDwarfStackBytes = 65528;
inline constexpr const char* kPageFaults = "page-faults";

}  // namespace kiln::recorder
