#include "formats/recording_header.h"

#include <algorithm>
#include <cstring>

#include "formats/byte_cursor.h"
#include "formats/byte_io.h"

namespace kiln::format {

namespace {
constexpr uint32_t kHeaderPayloadVersion = 1;
constexpr uint32_t kMaxAttrSize = 4096;
}  // namespace

perf_event_attr EventDescription::perf_attr() const {
    perf_event_attr a{};
    std::memcpy(&a, attr.data(), std::min(sizeof a, attr.size()));
    return a;
}

std::vector<uint8_t> encode(const RecordingHeader& h) {
    ByteWriter w;
    w.u32(kHeaderPayloadVersion);
    w.str(h.kiln_version);
    w.str(h.hostname);
    w.str(h.kernel_release);
    w.str(h.arch);
    w.u32(static_cast<uint32_t>(h.clock_id));
    w.u64(h.start_time_ns);
    w.u64(h.start_realtime_ns);
    w.u32(h.cpu_count);
    w.u32(h.page_size);
    w.str(h.target.name());
    w.u32(static_cast<uint32_t>(h.command_line.size()));
    for (const auto& a : h.command_line) w.str(a);
    w.u32(static_cast<uint32_t>(h.events.size()));
    for (const auto& e : h.events) {
        w.str(e.name);
        w.blob(e.attr);
        w.u8(e.is_clock ? 1 : 0);
        w.u32(static_cast<uint32_t>(e.ids.size()));
        for (uint64_t id : e.ids) w.u64(id);
    }
    // Trailing field (added after layout 1 shipped; older readers stop before it): the
    // tracepoint format text of each event, in event order.
    w.u32(static_cast<uint32_t>(h.events.size()));
    for (const auto& e : h.events) w.str(e.tracepoint_format);
    return w.take();
}

Result<RecordingHeader> decode_recording_header(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "recording header");
    RecordingHeader h;
    const uint32_t version = r.u32();
    if (r.failed()) return r.error();
    if (version != kHeaderPayloadVersion)
        return make_error("recording header: unknown header layout " + std::to_string(version));
    h.kiln_version = r.str();
    h.hostname = r.str();
    h.kernel_release = r.str();
    h.arch = r.str();
    h.clock_id = r.i32();
    h.start_time_ns = r.u64();
    h.start_realtime_ns = r.u64();
    h.cpu_count = r.u32();
    h.page_size = r.u32();
    h.target = RecordingTarget::from_name(std::string(r.str()));  // an unknown name reads, kept as it is
    h.command_line.resize(r.count(4, "command-line arguments"));
    for (auto& a : h.command_line) a = r.str();
    h.events.resize(r.count(13, "events"));
    for (auto& e : h.events) {
        e.name = r.str();
        e.attr = r.blob();
        if (r.failed()) return r.error();
        if (e.attr.size() < 64 || e.attr.size() > kMaxAttrSize)
            return make_error("recording header: event '" + e.name + "' has a bad attr size " +
                              std::to_string(e.attr.size()));
        e.is_clock = r.u8() != 0;
        e.ids.resize(r.count(8, "event ids"));
        for (auto& id : e.ids) id = r.u64();
    }
    if (r.failed()) return r.error();
    if (r.remaining() > 0) {  // tracepoint formats; absent in recordings made before them
        const uint32_t nformats = r.u32();
        if (!r.failed() && nformats != h.events.size())
            return make_error("recording header: " + std::to_string(nformats) + " tracepoint formats for " +
                              std::to_string(h.events.size()) + " events");
        for (auto& e : h.events) e.tracepoint_format = r.str();
    }
    if (r.failed()) return r.error();
    return h;
}

}  // namespace kiln::format
