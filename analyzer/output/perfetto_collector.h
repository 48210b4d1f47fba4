// Collects what a Perfetto trace of a recording shows (perfetto_events.h) in one pass of its
// own over the recording: `kiln analyze FILE --perfetto PATH` and `-o DIR` run it beside the
// profile views' pass (analyze_views), reading the recording a second time, rather than
// joining the views' Session, whose samples are aggregated into distinct stacks and lose
// their times. What it reads:
//  - sched:sched_switch samples -> switches (prev/next pid, prev_state, prios, comms from the
//    process model); with a per-task recording, PERF_RECORD_SWITCH switch-ins add a switch
//    whose prev is the last task seen switched in on that CPU (or 0), prev_state 0, unless
//    that task is the one switching in (a traced task's sched_switch already named it);
//  - sched:sched_waking / sched:sched_wakeup samples -> wakes;
//  - PROC_SNAPSHOT, COMM, FORK, EXIT -> processes, threads, and fork/exec/exit instants (of
//    processes; threads' clones and exits are not instants);
//  - samples of the CPU events (the cpu view's: cpu-clock, cycles ...) -> samples with their
//    stacks, unwound as the cpu view unwinds them (StackBuilder) and symbolized at the end
//    as folded output names frames (frame_display_name: inlined functions are frames of their
//    own, kernel frames end in _[k]);
//  - COUNTERS snapshots -> counter tracks (perfetto_counters.h).
// Memory grows with the exported events (24-60 bytes per switch, wake or sample) plus the
// distinct stacks; sample filters (--pid, --comm, --time ...) do not apply to the export.
#pragma once

#include "analyzer/output/perfetto_events.h"
#include "analyzer/symbolize/binary_locator.h"
#include "formats/recording_reader.h"
#include "formats/result.h"

namespace kiln::analyzer {

struct PerfettoOptions {
    LocatorOptions locator;       // where the symbolizer looks for binaries
    bool libunwind_only = false;  // DWARF stacks without the fast path
};

Result<PerfettoExport> collect_perfetto(format::RecordingReader& reader, const PerfettoOptions& options);

}  // namespace kiln::analyzer
