#include "formats/perf_sample.h"

#include "formats/kiln_format.h"
#include "formats/varint.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>


namespace kiln::format {

SampleLayout SampleLayout::from_attr(const perf_event_attr& attr) {
    SampleLayout l;
    l.sample_type = attr.sample_type;
    l.read_format = attr.read_format;
    l.sample_regs_user = attr.sample_regs_user;
    l.sample_id_all = attr.sample_id_all != 0;
    return l;
}

size_t SampleLayout::id_trailer_size() const {
    if (!sample_id_all) return 0;
    size_t n = 0;
    for (uint64_t bit : {PERF_SAMPLE_TID, PERF_SAMPLE_TIME, PERF_SAMPLE_ID, PERF_SAMPLE_STREAM_ID,
                         PERF_SAMPLE_CPU, PERF_SAMPLE_IDENTIFIER})
        if (sample_type & bit) n += 8;
    return n;
}

uint64_t ParsedSample::callchain_at(size_t i) const {
    uint64_t v;
    std::memcpy(&v, callchain.data() + i * 8, 8);
    return v;
}

uint64_t ParsedSample::reg_at(size_t i) const {
    uint64_t v;
    std::memcpy(&v, regs.data() + i * 8, 8);
    return v;
}

namespace {

// A bounds-checked cursor over one record. parse_sample runs once per sample, so it reads
// fields directly instead of through ByteReader's Result per field.
struct SampleCursor {
    const uint8_t* p;
    const uint8_t* end;
    size_t left() const { return static_cast<size_t>(end - p); }
    template <typename T>
    bool take(T& v) {
        if (left() < sizeof(T)) return false;
        std::memcpy(&v, p, sizeof(T));
        p += sizeof(T);
        return true;
    }
    bool span(size_t n, std::span<const uint8_t>& out) {
        if (left() < n) return false;
        out = {p, n};
        p += n;
        return true;
    }
};

Error sample_error(const SampleCursor& c, std::span<const uint8_t> record, const char* field) {
    return make_error(std::string("sample record: truncated in ") + field + " at byte " +
                      std::to_string(c.p - record.data()) + " of " + std::to_string(record.size()));
}

}  // namespace

Result<ParsedSample> parse_sample(const SampleLayout& layout, std::span<const uint8_t> record) {
    const uint64_t st = layout.sample_type;
    if (st & ~kSupportedSampleTypes)
        return make_error("sample record uses unsupported sample_type bits " +
                          std::to_string(st & ~kSupportedSampleTypes));
    if (record.size() < sizeof(perf_event_header)) return make_error("sample record shorter than its header");
    SampleCursor c{record.data() + sizeof(perf_event_header), record.data() + record.size()};
    ParsedSample s;
    uint64_t skip = 0;
    uint32_t skip32 = 0;
#define KILN_TAKE(dst, field) \
    if (!c.take(dst)) return sample_error(c, record, field)
    if (st & PERF_SAMPLE_IDENTIFIER) KILN_TAKE(s.id, "identifier");
    if (st & PERF_SAMPLE_IP) KILN_TAKE(s.ip, "ip");
    if (st & PERF_SAMPLE_TID) {
        KILN_TAKE(s.pid, "pid");
        KILN_TAKE(s.tid, "tid");
    }
    if (st & PERF_SAMPLE_TIME) KILN_TAKE(s.time, "time");
    if (st & PERF_SAMPLE_ADDR) KILN_TAKE(s.addr, "addr");
    if (st & PERF_SAMPLE_ID) KILN_TAKE(s.id, "id");
    if (st & PERF_SAMPLE_STREAM_ID) KILN_TAKE(skip, "stream id");
    if (st & PERF_SAMPLE_CPU) {
        KILN_TAKE(s.cpu, "cpu");
        KILN_TAKE(skip32, "cpu");  // reserved
    }
    if (st & PERF_SAMPLE_PERIOD) KILN_TAKE(s.period, "period");
    if (st & PERF_SAMPLE_CALLCHAIN) {
        uint64_t nr = 0;
        KILN_TAKE(nr, "callchain");
        if (nr > c.left() / 8)
            return make_error("sample record: callchain of " + std::to_string(nr) + " entries overruns the record");
        (void)c.span(nr * 8, s.callchain);
    }
    if (st & PERF_SAMPLE_RAW) {
        uint32_t size = 0;
        KILN_TAKE(size, "raw");
        if (!c.span(size, s.raw)) return sample_error(c, record, "raw");
    }
    if (st & PERF_SAMPLE_REGS_USER) {
        KILN_TAKE(s.regs_abi, "user registers");
        if (s.regs_abi != 0 && !c.span(static_cast<size_t>(std::popcount(layout.sample_regs_user)) * 8, s.regs))
            return sample_error(c, record, "user registers");
    }
    if (st & PERF_SAMPLE_STACK_USER) {
        uint64_t size = 0;
        KILN_TAKE(size, "user stack");
        if (size > 0) {
            if (size > c.left())
                return make_error("sample record: user stack of " + std::to_string(size) + " bytes overruns the record");
            std::span<const uint8_t> b;
            (void)c.span(size, b);
            uint64_t dyn = 0;
            KILN_TAKE(dyn, "user stack size");
            if (dyn > size) dyn = size;
            s.stack = b.subspan(0, dyn);
        }
    }
    if (st & PERF_SAMPLE_WEIGHT) KILN_TAKE(s.weight, "weight");
    if (st & PERF_SAMPLE_DATA_SRC) KILN_TAKE(s.data_src, "data source");
#undef KILN_TAKE
    (void)skip;
    (void)skip32;
    return s;
}

SampleId parse_sample_id(const SampleLayout& layout, std::span<const uint8_t> record) {
    SampleId id;
    size_t n = layout.id_trailer_size();
    if (n == 0 || record.size() < sizeof(perf_event_header) + n) return id;
    const uint8_t* p = record.data() + record.size() - n;
    auto take = [&p]() {
        uint64_t v;
        std::memcpy(&v, p, 8);
        p += 8;
        return v;
    };
    const uint64_t st = layout.sample_type;
    if (st & PERF_SAMPLE_TID) {
        uint64_t v = take();
        id.pid = static_cast<uint32_t>(v);
        id.tid = static_cast<uint32_t>(v >> 32);
    }
    if (st & PERF_SAMPLE_TIME) id.time = take();
    if (st & PERF_SAMPLE_ID) id.id = take();
    if (st & PERF_SAMPLE_STREAM_ID) take();
    if (st & PERF_SAMPLE_CPU) id.cpu = static_cast<uint32_t>(take());
    if (st & PERF_SAMPLE_IDENTIFIER) id.id = take();
    id.present = true;
    return id;
}

uint64_t record_identifier(std::span<const uint8_t> record) {
    if (record.size() < sizeof(perf_event_header)) return 0;
    perf_event_header h;
    std::memcpy(&h, record.data(), sizeof h);
    uint64_t v;
    if (h.type == kRecordSampleDelta) {  // a varint right after the header
        const uint8_t* p = record.data() + sizeof h;
        return get_uleb(p, record.data() + record.size(), v) ? v : 0;
    }
    if (record.size() < sizeof h + 8) return 0;
    if (h.type == PERF_RECORD_SAMPLE || is_delta_record(h.type))  // deltas are samples too
        std::memcpy(&v, record.data() + sizeof h, 8);
    else
        std::memcpy(&v, record.data() + record.size() - 8, 8);
    return v;
}

Result<std::span<const uint8_t>> record_at(std::span<const uint8_t> payload, size_t pos) {
    if (pos > payload.size() || payload.size() - pos < sizeof(perf_event_header))
        return make_error("perf record stream: partial record header at byte " + std::to_string(pos));
    perf_event_header h;
    std::memcpy(&h, payload.data() + pos, sizeof h);
    if (h.size < sizeof h || h.size > payload.size() - pos)
        return make_error("perf record stream: record at byte " + std::to_string(pos) + " has impossible size " +
                          std::to_string(h.size));
    return payload.subspan(pos, h.size);
}

Status for_each_record(std::span<const uint8_t> payload,
                       const std::function<void(const perf_event_header&, std::span<const uint8_t>)>& fn) {
    size_t pos = 0;
    while (pos < payload.size()) {
        auto rec = record_at(payload, pos);
        if (!rec) return rec.error();
        perf_event_header h;
        std::memcpy(&h, rec->data(), sizeof h);
        fn(h, *rec);
        pos += rec->size();
    }
    return {};
}

const char* record_type_name(uint32_t type) {
    switch (type) {
        case PERF_RECORD_MMAP: return "MMAP";
        case PERF_RECORD_LOST: return "LOST";
        case PERF_RECORD_COMM: return "COMM";
        case PERF_RECORD_EXIT: return "EXIT";
        case PERF_RECORD_THROTTLE: return "THROTTLE";
        case PERF_RECORD_UNTHROTTLE: return "UNTHROTTLE";
        case PERF_RECORD_FORK: return "FORK";
        case PERF_RECORD_READ: return "READ";
        case PERF_RECORD_SAMPLE: return "SAMPLE";
        case PERF_RECORD_MMAP2: return "MMAP2";
        case PERF_RECORD_AUX: return "AUX";
        case PERF_RECORD_ITRACE_START: return "ITRACE_START";
        case PERF_RECORD_LOST_SAMPLES: return "LOST_SAMPLES";
        case PERF_RECORD_SWITCH: return "SWITCH";
        case PERF_RECORD_SWITCH_CPU_WIDE: return "SWITCH_CPU_WIDE";
        case PERF_RECORD_NAMESPACES: return "NAMESPACES";
        case PERF_RECORD_KSYMBOL: return "KSYMBOL";
        case PERF_RECORD_BPF_EVENT: return "BPF_EVENT";
        case PERF_RECORD_CGROUP: return "CGROUP";
        case PERF_RECORD_TEXT_POKE: return "TEXT_POKE";
        default: return "UNKNOWN";
    }
}

std::optional<UserStackField> user_stack_field(const ParsedSample& s, std::span<const uint8_t> record) {
    if (s.stack.data() == nullptr) return std::nullopt;
    UserStackField f;
    f.data_at = static_cast<size_t>(s.stack.data() - record.data());
    std::memcpy(&f.size, record.data() + f.data_at - 8, 8);
    if (f.size > record.size() - f.data_at || record.size() - f.data_at - f.size < 8) return std::nullopt;
    return f;
}

size_t copy_trimmed_sample(const ParsedSample& s, std::span<const uint8_t> record, uint8_t* out) {
    const auto f = user_stack_field(s, record);
    const uint64_t keep = std::max<uint64_t>(8, (s.stack.size() + 7) & ~uint64_t{7});
    if (!f || keep >= f->size) {
        std::memcpy(out, record.data(), record.size());
        return record.size();
    }
    const size_t head = f->data_at + static_cast<size_t>(keep), tail_at = f->data_at + static_cast<size_t>(f->size);
    std::memcpy(out, record.data(), head);
    std::memcpy(out + head, record.data() + tail_at, record.size() - tail_at);
    std::memcpy(out + f->data_at - 8, &keep, 8);
    const size_t new_size = record.size() - static_cast<size_t>(f->size - keep);
    perf_event_header h;
    std::memcpy(&h, out, sizeof h);
    h.size = static_cast<uint16_t>(new_size);
    std::memcpy(out, &h, sizeof h);
    return new_size;
}

size_t copy_trimmed_sample(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out) {
    if (layout.sample_type & PERF_SAMPLE_STACK_USER)
        if (auto s = parse_sample(layout, record)) return copy_trimmed_sample(*s, record, out);
    std::memcpy(out, record.data(), record.size());
    return record.size();
}

}  // namespace kiln::format
