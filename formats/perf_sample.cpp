#include "formats/perf_sample.h"

#include "formats/byte_cursor.h"
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
    l.sample_stack_user = attr.sample_stack_user;
    if (!attr.freq && !(attr.sample_type & PERF_SAMPLE_PERIOD)) l.fixed_period = attr.sample_period;
    l.period_is_time = attr.type == PERF_TYPE_SOFTWARE &&
                       (attr.config == PERF_COUNT_SW_CPU_CLOCK || attr.config == PERF_COUNT_SW_TASK_CLOCK);
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

Result<ParsedSample> parse_sample(const SampleLayout& layout, std::span<const uint8_t> record) {
    const uint64_t st = layout.sample_type;
    if (st & ~kSupportedSampleTypes)
        return make_error("sample record uses unsupported sample_type bits " +
                          std::to_string(st & ~kSupportedSampleTypes));
    ByteCursor c(record, "sample record");
    c.skip(sizeof(perf_event_header));
    ParsedSample s;
    if (st & PERF_SAMPLE_IDENTIFIER) c.take(s.id);
    if (st & PERF_SAMPLE_IP) c.take(s.ip);
    if (st & PERF_SAMPLE_TID) {
        c.take(s.pid);
        c.take(s.tid);
    }
    if (st & PERF_SAMPLE_TIME) c.take(s.time);
    if (st & PERF_SAMPLE_ADDR) c.take(s.addr);
    if (st & PERF_SAMPLE_ID) c.take(s.id);
    if (st & PERF_SAMPLE_STREAM_ID) c.skip(8);
    if (st & PERF_SAMPLE_CPU) {
        c.take(s.cpu);
        c.skip(4);  // reserved
    }
    if (st & PERF_SAMPLE_PERIOD)
        c.take(s.period);
    else
        s.period = layout.fixed_period;
    if (st & PERF_SAMPLE_CALLCHAIN) {
        const uint64_t nr = c.u64();
        if (nr > c.remaining() / 8)
            c.fail("a callchain of " + std::to_string(nr) + " entries overruns the record");
        else
            c.take_bytes(nr * 8, s.callchain);
    }
    if (st & PERF_SAMPLE_RAW) c.take_bytes(c.u32(), s.raw);
    if ((st & PERF_SAMPLE_REGS_USER) && c.take(s.regs_abi) && s.regs_abi != 0)
        c.take_bytes(static_cast<size_t>(std::popcount(layout.sample_regs_user)) * 8, s.regs);
    if (st & PERF_SAMPLE_STACK_USER) {
        const uint64_t size = c.u64();
        if (size > c.remaining()) {
            c.fail("a user stack of " + std::to_string(size) + " bytes overruns the record");
        } else if (size > 0) {
            const std::span<const uint8_t> copy = c.bytes(size);
            const uint64_t dyn = c.u64();
            s.stack = copy.subspan(0, std::min(dyn, size));
        }
    }
    if (st & PERF_SAMPLE_WEIGHT) c.take(s.weight);
    if (st & PERF_SAMPLE_DATA_SRC) c.take(s.data_src);
    if (c.failed()) return c.error();
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

uint64_t sample_user_ip(const SampleLayout& layout, std::span<const uint8_t> record) {
    constexpr uint64_t kBeforeCallchain = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                                          PERF_SAMPLE_ADDR | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID |
                                          PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;
    constexpr int kIpRegister = 8;  // PERF_REG_X86_IP
    const uint64_t st = layout.sample_type;
    if (st & PERF_SAMPLE_READ) return 0;  // variable-sized before the callchain: not worth it
    const uint8_t* const begin = record.data();
    const size_t size = record.size();
    size_t at = sizeof(perf_event_header) + 8 * static_cast<size_t>(std::popcount(st & kBeforeCallchain));
    if (at > size) return 0;
    auto u64_at = [&](size_t off) {
        uint64_t v;
        std::memcpy(&v, begin + off, 8);
        return v;
    };
    if (st & PERF_SAMPLE_CALLCHAIN) {
        if (size - at < 8) return 0;
        const uint64_t n = u64_at(at);
        at += 8;
        if (n > (size - at) / 8) return 0;
        for (size_t k = 0; k + 1 < n; ++k)
            if (u64_at(at + 8 * k) == PERF_CONTEXT_USER) return u64_at(at + 8 * (k + 1));
        at += 8 * static_cast<size_t>(n);
    }
    if ((st & PERF_SAMPLE_REGS_USER) && !(st & (PERF_SAMPLE_RAW | PERF_SAMPLE_BRANCH_STACK)) &&
        (layout.sample_regs_user >> kIpRegister & 1)) {
        const size_t slot = static_cast<size_t>(std::popcount(layout.sample_regs_user & ((1ULL << kIpRegister) - 1)));
        if (size - at >= 8 && u64_at(at) != 0 && (size - at - 8) / 8 > slot) return u64_at(at + 8 + 8 * slot);
    }
    perf_event_header h;
    std::memcpy(&h, begin, sizeof h);
    const bool user_mode = (h.misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_USER;
    if (user_mode && (st & PERF_SAMPLE_IP)) return u64_at(sizeof(perf_event_header) + ((st & PERF_SAMPLE_IDENTIFIER) ? 8 : 0));
    return 0;
}

std::optional<size_t> sample_time_offset(const SampleLayout& layout) {
    if (!(layout.sample_type & PERF_SAMPLE_TIME)) return std::nullopt;
    size_t at = sizeof(perf_event_header);
    for (uint64_t bit : {PERF_SAMPLE_IDENTIFIER, PERF_SAMPLE_IP, PERF_SAMPLE_TID})
        if (layout.sample_type & bit) at += 8;
    return at;
}

uint64_t record_identifier(std::span<const uint8_t> record) {
    if (record.size() < sizeof(perf_event_header)) return 0;
    perf_event_header h;
    std::memcpy(&h, record.data(), sizeof h);
    uint64_t v;
    if (h.type == kRecordSampleDelta || h.type == kRecordCompactSample) {  // a varint right after the header
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
