// Perfetto output: a PerfettoExport as a perfetto.protos.Trace (repeated TracePacket, protobuf
// wire format; the messages kiln writes are restated in analyzer/output/perfetto_trace.proto
// with Perfetto's published names and numbers), which ui.perfetto.dev and Perfetto's
// trace_processor open.
//
// Packets, on two sequences (trusted_packet_sequence_id):
//  kTimelineSequence: a ClockSnapshot first (SEQ_INCREMENTAL_STATE_CLEARED; the recording's
//    clock is the primary trace clock; for a CLOCK_MONOTONIC recording BOOTTIME is declared
//    equal to it, since trace processor reads ftrace timestamps as BOOTTIME), then a
//    ProcessTree, a TrackDescriptor per process (ProcessDescriptor; also for a pid that only
//    an instant or a counter names) and per counter
//    (CounterDescriptor, per-process counters under their process), FtraceEventBundles per CPU
//    (sched_switch, sched_waking/sched_wakeup, at most kEventsPerBundle each), TYPE_INSTANT
//    TrackEvents (fork, exec, exit) on the process tracks and TYPE_COUNTER TrackEvents.
//  kSamplesSequence: PerfSamples, each with the InternedData (function names, mapping paths,
//    build-ids, mappings, frames, callstacks) it is the first to use (every frame has a mapping:
//    its binary, or "[kiln]" for kiln's own frames); its first packet clears
//    the incremental state, the others need it.
// Every packet with a timestamp names its clock (timestamp_clock_id).
#pragma once

#include <cstdint>
#include <string>

#include "analyzer/output/perfetto_events.h"
#include "formats/result.h"

namespace kiln::analyzer {

inline constexpr uint32_t kTimelineSequence = 1;
inline constexpr uint32_t kSamplesSequence = 2;
inline constexpr size_t kEventsPerBundle = 1000;

// Track uuids: a process's track and the counters' tracks.
inline constexpr uint64_t perfetto_process_track(int32_t pid) {
    return (uint64_t{1} << 32) | static_cast<uint32_t>(pid);
}
inline constexpr uint64_t perfetto_counter_track(size_t index) { return (uint64_t{2} << 32) | index; }

// Perfetto's builtin clock id for a POSIX clock id (CLOCK_MONOTONIC 1 -> 3 ...); 0 if none.
uint32_t perfetto_clock(uint32_t posix_clock_id);

// The whole trace in memory (tests, small exports).
Result<std::string> encode_perfetto(const PerfettoExport& e);

// The trace written to path, "-" for standard output (packets are encoded and written one at a
// time). Errors name the path.
Status write_perfetto(const PerfettoExport& e, const std::string& path);

}  // namespace kiln::analyzer
