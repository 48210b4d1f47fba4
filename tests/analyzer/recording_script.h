// Builds a .kiln recording from a small text script, so analyzer tests (goldens among them)
// get exact, repeatable inputs whose addresses come from binaries the test build made.
//
//   event NAME clock|count|faults FREQ [dwarf BYTES]
//                                     a sampling event (first one also carries the sideband);
//                                     faults: the page-faults software event, FREQ its period;
//                                     switch: sched:sched_switch (name it so) with its stored
//                                     format, for `switch` lines; declare it before the event
//                                     `sample` lines are for (they use the last event);
//                                     with dwarf, its attr is that of `kiln record -g dwarf,BYTES`
//                                     (user registers and a stack copy, no user callchain)
//   binary ALIAS PATH [as RECORDED]   name a binary for the lines below
//   cfi ALIAS PATH                    `readelf --debug-dump=frames-interp` of ALIAS (for dsample)
//   mmap PID BASE ALIAS [BUILDID|noid] one MMAP2 per executable PT_LOAD of ALIAS at load base BASE;
//                                     the build-id is read from the file unless given
//   anon PID START LEN                executable anonymous memory (JIT code)
//   comm PID TID NAME [exec]
//   fork PID PPID TID
//   ksym ADDR NAME [MODULE]           a kallsyms text symbol
//   perfmap PID START SIZE NAME       a perf-PID.map line
//   time T                            the time of the sideband records that follow
//   round                             a ROUND_END marker
//   sample TIME PID TID CPU PERIOD FRAME...   leaf first, a frame-pointer callchain; FRAME is
//        k:SYMBOL+OFF   kernel address from the ksym lines
//        u:ALIAS:SYMBOL+OFF  user address of an ELF symbol of ALIAS loaded at its mmap base of PID
//        a:0xADDR       a raw user address
//   dsample TIME PID TID CPU PERIOD FRAME... [copy=N]   a sample of the last (dwarf) event:
//        k: frames first (the kernel callchain), then the user call chain, leaf first:
//        u:ALIAS:SYMBOL+OFF  the leaf's interrupted instruction (or, above it, a return address)
//        c:ALIAS:CALLER      the return address of CALLER's first call to the frame below it
//        The user registers (ip, sp, bp) and the stack copy are synthesized from the chain and
//        ALIAS's cfi (dwarf_stack.h); copy=N keeps only the copy's first N bytes (as when the
//        stack is deeper than the event's BYTES, which also cap the copy).
//   switch TIME CPU PREV_PID PREV_TID PREV_STATE NEXT_TID   a sched_switch sample (state 0 = R,
//                                     1 = S, 2 = D), of the switch event wherever it was declared
//   counters TIME KEY=VALUE...       a COUNTERS chunk holding one snapshot taken at TIME; keys:
//        running=N blocked=N          procs_running, procs_blocked
//        load1=MILLI                  the 1-minute load average in thousandths (1.5 -> 1500)
//        cpuN=BUSY/IDLE               CPU N's cumulative busy and idle ticks
//        psi.cpu=SOME_US[/FULL_US]    cumulative PSI stall microseconds (also psi.memory, psi.io)
//        proc=PID/TICKS/RSS[/READ/WRITE]  a process: cpu_ticks, rss bytes, I/O bytes (has_io when given)
//        procs=1                      processes were read (has_processes) even with no proc= key
//        tps=N                        clock ticks per second (default 100); interval is 100 ms
//        Cumulative values are given as read (the analyzer differences them); the chunks go after
//        the records, in script order.
//   Times are nanoseconds after the recording's start (1'000'000'000 = 1 s); a sample or
//   counters line also sets the time of the sideband records that follow, and the last one the
//   recording's end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::testing {

inline constexpr uint64_t kScriptStartNs = 1'000'000'000'000ull;  // CLOCK_MONOTONIC of the recording's start

// An address a frame of the script named, so tests can show a stage's output in the script's
// words ("u:app:leaf_work+2", "c:app:main>render", "k:ksys_write+16", "a:0x7f0000001010").
struct NamedAddress {
    std::string label;
    int32_t pid = -1;      // -1: a kernel address
    uint64_t address = 0;  // in the process (or the kernel)
    std::string path;      // the recorded path of its binary; "" when no binary of the script holds it
    uint64_t offset = 0;   // file offset in path
};

// The user call chain a dsample line described: what unwinding its stack copy must give.
struct DescribedStack {
    uint64_t time = 0;  // as in the script
    int32_t pid = 0, tid = 0;
    std::vector<size_t> frames;  // indexes into ScriptFacts::names, leaf first
    size_t frames_in_copy = 0;   // frames whose return address slot the copy holds (all: whole)
};

struct ScriptFacts {
    std::vector<NamedAddress> names;
    std::vector<DescribedStack> dwarf_stacks;
    const NamedAddress* find_file(const std::string& path, uint64_t offset) const;
    const NamedAddress* find_address(int32_t pid, uint64_t address) const;  // pid -1: kernel
};

// Writes the recording described by script to out_path. Errors name the script line.
// facts (optional) receives the addresses the script named and the dwarf stacks it described.
Status write_recording_from_script(const std::string& script, const std::string& out_path,
                                   ScriptFacts* facts = nullptr);

}  // namespace kiln::testing
