#include "formats/recording_stats.h"

#include "formats/byte_cursor.h"
#include "formats/byte_io.h"

namespace kiln::format {

namespace {
constexpr uint32_t kStatsPayloadVersion = 1;
}

const char* stop_reason_text(uint32_t reason) {
    switch (static_cast<StopReason>(reason)) {
        case StopReason::kCommandExited: return "the command exited";
        case StopReason::kSignal: return "a signal";
        case StopReason::kDuration: return "-d passed";
        case StopReason::kTargetsGone: return "the target processes were gone";
        case StopReason::kMonitorDump: return "a dump of kiln monitor";
        case StopReason::kSwitchedOutput: return "--switch-output started the next file";
        case StopReason::kUnknown: break;
    }
    return "unknown";
}

std::vector<uint8_t> encode(const RecordingStats& s) {
    ByteWriter w;
    w.u32(kStatsPayloadVersion);
    for (uint64_t v : {s.end_time_ns, s.samples, s.lost_records, s.lost_samples, s.lost_events,
                       s.throttles, s.unthrottles, s.raw_bytes, s.build_id_failures})
        w.u64(v);
    w.u32(static_cast<uint32_t>(s.exit_status));
    w.u32(s.stop_reason);
    return w.take();
}

Result<RecordingStats> decode_recording_stats(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "recording stats");
    const uint32_t version = r.u32();
    if (r.failed()) return r.error();
    if (version != kStatsPayloadVersion) return make_error("recording stats: unknown layout " + std::to_string(version));
    RecordingStats s;
    for (uint64_t* field : {&s.end_time_ns, &s.samples, &s.lost_records, &s.lost_samples, &s.lost_events,
                            &s.throttles, &s.unthrottles, &s.raw_bytes, &s.build_id_failures})
        *field = r.u64();
    s.exit_status = r.i32();
    s.stop_reason = r.u32();
    if (r.failed()) return r.error();
    return s;
}

}  // namespace kiln::format
