// The HEADER chunk: what was recorded, where, and how. Always the first chunk of a file.
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "formats/result.h"
#include "formats/target_kind.h"

namespace kiln::format {

struct EventDescription {
    std::string name;                // "cpu-clock", "sched:sched_switch"
    std::vector<uint8_t> attr;       // the perf_event_attr as passed to the kernel (attr.size bytes)
    std::vector<uint64_t> ids;       // kernel event ids (PERF_EVENT_IOC_ID) of every fd opened
    bool is_clock = false;           // sample periods are nanoseconds
    // Tracepoints: the text of tracefs events/SUBSYS/NAME/format when recorded (field names,
    // offsets and sizes of the RAW payload), so the analyzer reads this kernel's layout
    // (formats/tracepoint_format.h). "" for other events and recordings made before it.
    std::string tracepoint_format;

    // The stored attr as a perf_event_attr (zero past the bytes stored: an older, shorter attr).
    perf_event_attr perf_attr() const;
};

struct RecordingHeader {
    std::string kiln_version;
    std::string hostname;
    std::string kernel_release;
    std::string arch;                // uname -m
    int32_t clock_id = 1;            // CLOCK_MONOTONIC: time base of sample timestamps
    uint64_t start_time_ns = 0;      // clock_id time when recording started
    uint64_t start_realtime_ns = 0;  // wall-clock time when recording started
    uint32_t cpu_count = 0;
    uint32_t page_size = 4096;
    RecordingTarget target;          // stored as its name: "command", "pid", "tid", "system-wide"
    std::vector<std::string> command_line;  // kiln's own argv
    std::vector<EventDescription> events;
};

std::vector<uint8_t> encode(const RecordingHeader& h);
Result<RecordingHeader> decode_recording_header(std::span<const uint8_t> payload);

}  // namespace kiln::format
