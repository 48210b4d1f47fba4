#include "formats/perf_records.h"

#include <sys/mman.h>

#include <cstring>
#include <string>

#include "formats/byte_cursor.h"
#include "formats/kiln_format.h"
#include "formats/perf_sample.h"

namespace kiln::format {

namespace {

constexpr size_t kMaxBuildIdSize = 20;

// A cursor past the header of a record that must be of one of two types.
Result<perf_event_header> expect_type(std::span<const uint8_t> record, uint32_t a, uint32_t b) {
    auto h = parse_record_header(record);
    if (!h) return h;
    if (h->type != a && h->type != b)
        return make_error(std::string("expected a ") + record_type_name(a) + " record, got " +
                          record_type_name(h->type) + " (type " + std::to_string(h->type) + ")");
    return h;
}

// The NUL-terminated string that fills the rest of the record (the sample_id trailer after its
// padding never holds a NUL before it, so the first NUL ends it).
std::string_view text_to_nul(std::span<const uint8_t> rest) {
    if (rest.empty()) return {};
    const auto* p = reinterpret_cast<const char*>(rest.data());
    return {p, strnlen(p, rest.size())};
}

template <typename T>
Result<T> finish(const ByteCursor& c, T value) {
    if (c.failed()) return c.error();
    return value;
}

}  // namespace

Result<perf_event_header> parse_record_header(std::span<const uint8_t> record) {
    if (record.size() < sizeof(perf_event_header))
        return make_error("perf record of " + std::to_string(record.size()) + " bytes is shorter than its header");
    perf_event_header h;
    std::memcpy(&h, record.data(), sizeof h);
    return h;
}

Result<MmapRecord> parse_mmap(std::span<const uint8_t> record) {
    auto h = expect_type(record, PERF_RECORD_MMAP, PERF_RECORD_MMAP2);
    if (!h) return h.error();
    MmapRecord m;
    m.mmap2 = h->type == PERF_RECORD_MMAP2;
    ByteCursor c(record, m.mmap2 ? "MMAP2 record" : "MMAP record");
    c.skip(sizeof(perf_event_header));
    m.pid = c.u32();
    m.tid = c.u32();
    m.addr = c.u64();
    m.len = c.u64();
    m.pgoff = c.u64();
    if (!m.mmap2) {
        m.prot = (h->misc & PERF_RECORD_MISC_MMAP_DATA) ? PROT_READ : PROT_READ | PROT_EXEC;
    } else if (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
        const uint8_t size = c.u8();
        c.skip(3);  // reserved
        const auto id = c.bytes(kMaxBuildIdSize);
        if (size > 0 && size <= kMaxBuildIdSize) m.build_id = id.first(size);
    } else {
        m.dev_major = c.u32();
        m.dev_minor = c.u32();
        m.inode = c.u64();
        m.inode_generation = c.u64();
    }
    if (m.mmap2) {
        m.prot = c.u32();
        m.flags = c.u32();
    }
    if (!c.failed() && c.at_end()) c.fail("no file name");
    m.filename = text_to_nul(c.rest());
    return finish(c, m);
}

Result<CommRecord> parse_comm(std::span<const uint8_t> record) {
    auto h = expect_type(record, PERF_RECORD_COMM, PERF_RECORD_COMM);
    if (!h) return h.error();
    ByteCursor c(record, "COMM record");
    c.skip(sizeof(perf_event_header));
    CommRecord r;
    r.pid = c.u32();
    r.tid = c.u32();
    r.exec = (h->misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
    if (!c.failed() && c.at_end()) c.fail("no name");
    r.comm = text_to_nul(c.rest());
    return finish(c, r);
}

Result<TaskRecord> parse_task(std::span<const uint8_t> record) {
    auto h = expect_type(record, PERF_RECORD_FORK, PERF_RECORD_EXIT);
    if (!h) return h.error();
    ByteCursor c(record, h->type == PERF_RECORD_FORK ? "FORK record" : "EXIT record");
    c.skip(sizeof(perf_event_header));
    TaskRecord t;
    t.exit = h->type == PERF_RECORD_EXIT;
    t.pid = c.u32();
    t.ppid = c.u32();
    t.tid = c.u32();
    t.ptid = c.u32();
    t.time = c.u64();
    return finish(c, t);
}

Result<LostRecord> parse_lost(std::span<const uint8_t> record) {
    auto h = expect_type(record, PERF_RECORD_LOST, PERF_RECORD_LOST);
    if (!h) return h.error();
    ByteCursor c(record, "LOST record");
    c.skip(sizeof(perf_event_header));
    LostRecord l;
    l.id = c.u64();
    l.lost = c.u64();
    return finish(c, l);
}

Result<LostSamplesRecord> parse_lost_samples(std::span<const uint8_t> record) {
    auto h = expect_type(record, PERF_RECORD_LOST_SAMPLES, PERF_RECORD_LOST_SAMPLES);
    if (!h) return h.error();
    ByteCursor c(record, "LOST_SAMPLES record");
    c.skip(sizeof(perf_event_header));
    LostSamplesRecord l;
    l.lost = c.u64();
    return finish(c, l);
}

Result<ThrottleRecord> parse_throttle(std::span<const uint8_t> record) {
    auto h = expect_type(record, PERF_RECORD_THROTTLE, PERF_RECORD_UNTHROTTLE);
    if (!h) return h.error();
    ByteCursor c(record, h->type == PERF_RECORD_THROTTLE ? "THROTTLE record" : "UNTHROTTLE record");
    c.skip(sizeof(perf_event_header));
    ThrottleRecord t;
    t.unthrottle = h->type == PERF_RECORD_UNTHROTTLE;
    t.time = c.u64();
    t.id = c.u64();
    t.stream_id = c.u64();
    return finish(c, t);
}

Result<SwitchRecord> parse_switch(std::span<const uint8_t> record) {
    auto h = expect_type(record, PERF_RECORD_SWITCH, PERF_RECORD_SWITCH_CPU_WIDE);
    if (!h) return h.error();
    SwitchRecord s;
    s.out = (h->misc & PERF_RECORD_MISC_SWITCH_OUT) != 0;
    s.preempted = s.out && (h->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
    s.cpu_wide = h->type == PERF_RECORD_SWITCH_CPU_WIDE;
    if (!s.cpu_wide) return s;
    ByteCursor c(record, "SWITCH_CPU_WIDE record");
    c.skip(sizeof(perf_event_header));
    s.other_pid = c.u32();
    s.other_tid = c.u32();
    return finish(c, s);
}

bool is_round_end(std::span<const uint8_t> record) {
    auto h = parse_record_header(record);
    return h && h->type == kRecordRoundEnd;
}

}  // namespace kiln::format
