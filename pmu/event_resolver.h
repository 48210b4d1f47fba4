// Turns an event spec given on the command line into a perf_event_attr: libpfm4 names
// (hardware and PMU-specific), perf software events, tracepoints (subsys:name) and
// user-space probes (uprobe:PATH:SYMBOL[+OFFSET], uretprobe:PATH:SYMBOL).
// Only type/config/config1/config2/precise_ip and exclude_* bits are set here; the recorder
// sets sampling, sample_type and target flags.
#pragma once

#include <linux/perf_event.h>

#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::pmu {

enum class EventKind { kHardware, kSoftware, kTracepoint, kRawPmu, kUprobe };

struct ResolvedEvent {
    std::string name;       // canonical name as the user will see it ("cpu-clock", "sched:sched_switch")
    std::string requested;  // what the user asked for ("cycles" when it fell back)
    EventKind kind = EventKind::kSoftware;
    perf_event_attr attr{};  // attr.size set to sizeof(perf_event_attr)
    bool is_clock = false;  // cpu-clock / task-clock: sample values are nanoseconds
    std::string note;       // non-empty when a fallback happened; printed once by tools/
    // kUprobe: the absolute path of the probed binary. attr.config1 stays 0 here; whoever
    // calls perf_event_open points it at probe_path.c_str() (this string, not a copy that dies).
    std::string probe_path;
    // kTracepoint: the tracefs format text (layout of the RAW payload), kept in the recording.
    std::string tracepoint_format;
    // Bytes of user stack each sample copies in -g fp mode, set by whoever asks for the event
    // (recorder/mem_events: posix_memalign's return reads the stored pointer from it).
    // 0: the recorder's default (none, or 8 at a uprobe at function entry: the return address).
    uint32_t user_stack_bytes = 0;
    // Set by whoever asks for the event: record it without callchain or stack copy even when
    // -g asks for them (--sched's and --syscalls' tracepoints, whose stacks nobody reads).
    bool no_call_graph = false;
};

// Resolves one spec. Hardware events that this machine cannot count (no PMU, as in most VMs)
// fall back: "cycles" -> "cpu-clock" with a note; other hardware events fail with a clear
// message. An unknown name fails with close-name suggestions and a pointer to `kiln list`.
Result<ResolvedEvent> resolve_event(std::string_view spec);

// Encodes a libpfm4 event name without probing the hardware (for tests of the hardware-event
// path on machines without a PMU). Uses the generic perf_event PMU tables of libpfm4.
Result<ResolvedEvent> encode_pfm_event(std::string_view spec);

// Encodes one of kiln's own software or generic hardware events ("cycles:u", "page-faults:k")
// with perf's modifier rules (pmu/event_modifiers.h), without probing the hardware or the
// kernel: the attr perf would open for the same spec.
Result<ResolvedEvent> encode_named_event(std::string_view spec);

// Tracefs root, mounting tracefs at /sys/kernel/tracing when nothing is mounted.
Result<std::string> tracefs_root();

// Text for `kiln list`: software events, hardware events usable here, tracepoint subsystems.
std::string list_events();

}  // namespace kiln::pmu
