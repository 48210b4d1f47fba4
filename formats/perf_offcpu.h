// perf record --off-cpu's event (perf >= 5.19 built with BPF skeletons), the one place kiln
// recognises it. perf adds a software event named "offcpu-time" (PERF_TYPE_SOFTWARE,
// PERF_COUNT_SW_BPF_OUTPUT) and, when recording stops, writes one PERF_RECORD_SAMPLE of it per
// (thread, stack, state) that its BPF program saw go off the CPU (tools/perf/util/bpf_off_cpu.c,
// off_cpu_write()): misc PERF_RECORD_MISC_USER; tid/pid of the thread; period the total
// nanoseconds it was off the CPU with that stack; callchain PERF_CONTEXT_USER then the BPF user
// stack trace; ip its first entry; cpu 0; and, for time, a made-up value to sort them last:
// (~0 << 32) + n for the n-th sample. The state is not written. CGROUP is added with
// --all-cgroups (kiln's sample parser does not read it: such samples are left out).
// Newer perf (6.15 on, util/off_cpu.h with PERF_SAMPLE_RAW in OFFCPU_SAMPLE_TYPES) embeds the
// thread, period and callchain in the BPF output's RAW payload instead, also for blocks it dumps
// while recording; kiln does not decode that layout and says so (kOffCpuTimeEmbedded).
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <string_view>

#include "formats/recording_header.h"

namespace kiln::format {

// Events that perf itself fills with synthesized samples rather than the kernel.
enum class PerfToolEvent : uint8_t {
    kNone,                // any other event
    kOffCpuTime,          // perf record --off-cpu's offcpu-time, samples with CALLCHAIN and PERIOD
    kOffCpuTimeEmbedded,  // the same event from perf >= 6.15: the data is inside PERF_SAMPLE_RAW
};

PerfToolEvent perf_tool_event(std::string_view name, const perf_event_attr& attr);
// The index of the recording's event of that kind, or -1.
int find_perf_tool_event(const RecordingHeader& header, PerfToolEvent kind);

// The first of the made-up times off_cpu_write() gives its samples (OFF_CPU_TIMESTAMP).
inline constexpr uint64_t kPerfOffCpuFirstTime = ~0ull << 32;
inline bool is_perf_offcpu_time(uint64_t time) { return time >= kPerfOffCpuFirstTime; }

}  // namespace kiln::format
