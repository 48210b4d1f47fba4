// The STATS chunk, written once when recording ends: what was captured and what was lost.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/result.h"

namespace kiln::format {

struct RecordingStats {
    uint64_t end_time_ns = 0;        // clock_id time when recording stopped
    uint64_t samples = 0;            // PERF_RECORD_SAMPLE records written
    uint64_t lost_records = 0;       // sum of PERF_RECORD_LOST.lost (ring buffer overflow)
    uint64_t lost_samples = 0;       // sum of PERF_RECORD_LOST_SAMPLES.lost
    uint64_t lost_events = 0;        // number of PERF_RECORD_LOST records
    uint64_t throttles = 0;          // PERF_RECORD_THROTTLE records
    uint64_t unthrottles = 0;        // PERF_RECORD_UNTHROTTLE records
    uint64_t raw_bytes = 0;          // bytes of records before compression
    uint64_t build_id_failures = 0;  // mappings whose build-id could not be read
    int32_t exit_status = -1;        // the command's exit status (wait status), -1 if none
    uint32_t stop_reason = 0;        // StopReason
};

// kMonitorDump: a window of `kiln monitor`'s history, written on a trigger (the monitor goes on).
// kSwitchedOutput: one file of `kiln record --switch-output`, ended for the next (the recording
// goes on).
enum class StopReason : uint32_t {
    kUnknown = 0, kCommandExited = 1, kSignal = 2, kDuration = 3, kTargetsGone = 4, kMonitorDump = 5,
    kSwitchedOutput = 6
};

// "the command exited", "a dump of kiln monitor" ...; "unknown" for values this reader does not know.
const char* stop_reason_text(uint32_t reason);

std::vector<uint8_t> encode(const RecordingStats& s);
Result<RecordingStats> decode_recording_stats(std::span<const uint8_t> payload);

}  // namespace kiln::format
