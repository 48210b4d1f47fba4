#include "formats/recording_header.h"

#include <algorithm>
#include <cstring>

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
    ByteReader r(payload, "recording header");
    RecordingHeader h;
#define KILN_READ(dst, call)              \
    do {                                  \
        auto v_ = r.call();               \
        if (!v_) return v_.error();       \
        dst = std::move(*v_);             \
    } while (0)
    uint32_t version = 0;
    KILN_READ(version, u32);
    if (version != kHeaderPayloadVersion)
        return make_error("recording header: unknown header layout " + std::to_string(version));
    KILN_READ(h.kiln_version, str);
    KILN_READ(h.hostname, str);
    KILN_READ(h.kernel_release, str);
    KILN_READ(h.arch, str);
    uint32_t clock = 0;
    KILN_READ(clock, u32);
    h.clock_id = static_cast<int32_t>(clock);
    KILN_READ(h.start_time_ns, u64);
    KILN_READ(h.start_realtime_ns, u64);
    KILN_READ(h.cpu_count, u32);
    KILN_READ(h.page_size, u32);
    std::string target;
    KILN_READ(target, str);
    h.target = RecordingTarget::from_name(target);  // an unknown name reads, kept as it is
    uint32_t nargs = 0;
    KILN_READ(nargs, u32);
    if (nargs > r.remaining() / 4) return make_error("recording header: argument count too large");
    h.command_line.resize(nargs);
    for (auto& a : h.command_line) KILN_READ(a, str);
    uint32_t nevents = 0;
    KILN_READ(nevents, u32);
    if (nevents > r.remaining() / 13) return make_error("recording header: event count too large");
    h.events.resize(nevents);
    for (auto& e : h.events) {
        KILN_READ(e.name, str);
        KILN_READ(e.attr, blob);
        if (e.attr.size() < 64 || e.attr.size() > kMaxAttrSize)
            return make_error("recording header: event '" + e.name + "' has a bad attr size " +
                              std::to_string(e.attr.size()));
        uint8_t clock_flag = 0;
        KILN_READ(clock_flag, u8);
        e.is_clock = clock_flag != 0;
        uint32_t nids = 0;
        KILN_READ(nids, u32);
        if (nids > r.remaining() / 8) return make_error("recording header: id count too large");
        e.ids.resize(nids);
        for (auto& id : e.ids) KILN_READ(id, u64);
    }
    if (r.remaining() > 0) {  // tracepoint formats; absent in recordings made before them
        uint32_t nformats = 0;
        KILN_READ(nformats, u32);
        if (nformats != h.events.size())
            return make_error("recording header: " + std::to_string(nformats) + " tracepoint formats for " +
                              std::to_string(h.events.size()) + " events");
        for (auto& e : h.events) KILN_READ(e.tracepoint_format, str);
    }
#undef KILN_READ
    return h;
}

}  // namespace kiln::format
