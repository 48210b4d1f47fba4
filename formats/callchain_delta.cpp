#include "formats/callchain_delta.h"

#include <bit>
#include <cstring>
#include <string>

#include "formats/kiln_format.h"

namespace kiln::format {

namespace {

// Where a parsed sample's callchain entries start in its record (its u64 nr is just before).
size_t callchain_offset(const ParsedSample& s, std::span<const uint8_t> record) {
    return static_cast<size_t>(s.callchain.data() - record.data());
}

// Every field before CALLCHAIN is one u64 but READ, which kiln does not ask for: the encoder
// finds the thread id and the callchain without parsing the whole sample (parsing was 40% of
// its cost).
constexpr uint64_t kFieldsBeforeCallchain = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
                                            PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID |
                                            PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;
size_t callchain_nr_offset(uint64_t sample_type) {
    return sizeof(perf_event_header) + 8 * static_cast<size_t>(std::popcount(sample_type & kFieldsBeforeCallchain));
}
size_t tid_offset(uint64_t sample_type) {
    return sizeof(perf_event_header) +
           8 * static_cast<size_t>(std::popcount(sample_type & (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP))) + 4;
}

}  // namespace

size_t CallchainDeltaEncoder::encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out) {
    const uint64_t st = layout.sample_type;
    const size_t nr_at = callchain_nr_offset(st);
    uint64_t nr_in = 0;
    if (record.size() >= nr_at + 8) std::memcpy(&nr_in, record.data() + nr_at, 8);
    if (!(st & PERF_SAMPLE_CALLCHAIN) || !(st & PERF_SAMPLE_TID) || (st & PERF_SAMPLE_READ) || nr_in == 0 ||
        nr_in > (record.size() - nr_at - 8) / 8 || record.size() + kSlack > 0xffff) {
        std::memcpy(out, record.data(), record.size());
        return record.size();
    }
    uint32_t tid;
    std::memcpy(&tid, record.data() + tid_offset(st), 4);
    const size_t at = nr_at + 8;
    const size_t n = static_cast<size_t>(nr_in);
    const uint8_t* ips = record.data() + at;
    auto& previous = history_.of(tid).ips;
    const uint64_t shared = shared_outer_frames(ips, n, previous);
    const size_t fresh = n - static_cast<size_t>(shared);
    const uint64_t nr = fresh + 1;
    std::memcpy(out, record.data(), at - 8);
    std::memcpy(out + at - 8, &nr, 8);
    std::memcpy(out + at, &shared, 8);
    std::memcpy(out + at + 8, ips, 8 * fresh);
    const size_t after = at + 8 * n;
    std::memcpy(out + at + 8 + 8 * fresh, record.data() + after, record.size() - after);
    const size_t size = record.size() + 8 - 8 * static_cast<size_t>(shared);
    set_record_header(out, kRecordCallchainDelta, size);
    previous.resize(n);  // n >= 1: empty callchains were copied as they are
    std::memcpy(previous.data(), ips, 8 * n);
    return size;
}

Status expand_callchain_delta(const SampleLayout& layout, CallchainHistory& history, std::span<const uint8_t> record,
                              ExpandedBytes& out) {
    auto s = parse_sample(layout, record);
    if (!s) return s.error();
    if (!(layout.sample_type & PERF_SAMPLE_TID) || !(layout.sample_type & PERF_SAMPLE_CALLCHAIN))
        return make_error("callchain delta of an event without thread ids or callchains");
    if (s->callchain_size() == 0) return make_error("callchain delta without its count of shared frames");
    const uint64_t shared = s->callchain_at(0);
    const size_t fresh = s->callchain_size() - 1;
    auto& previous = history.of(s->tid).ips;
    if (shared > previous.size())
        return make_error("callchain delta: shares " + std::to_string(shared) + " frames of thread " +
                          std::to_string(s->tid) + ", whose previous callchain in this chunk has " +
                          std::to_string(previous.size()));
    const size_t at = callchain_offset(*s, record);
    const size_t after = at + 8 + 8 * fresh;  // the first byte past the encoded callchain
    const size_t n = fresh + static_cast<size_t>(shared);
    const size_t size = record.size() - 8 + 8 * static_cast<size_t>(shared);
    if (size > 0xffff) return make_error("callchain delta: decoded sample of " + std::to_string(size) + " bytes");

    uint8_t* o = out.append(size);
    const uint64_t nr = n;
    std::memcpy(o, record.data(), at - 8);
    std::memcpy(o + at - 8, &nr, 8);
    std::memcpy(o + at, record.data() + at + 8, 8 * fresh);
    if (shared > 0)
        std::memcpy(o + at + 8 * fresh, previous.data() + (previous.size() - shared), 8 * static_cast<size_t>(shared));
    std::memcpy(o + at + 8 * n, record.data() + after, record.size() - after);
    set_record_header(o, PERF_RECORD_SAMPLE, size);
    // The whole callchain is in o now; previous's tail was read before it is overwritten.
    previous.resize(n);
    if (n > 0) std::memcpy(previous.data(), o + at, 8 * n);
    return {};
}

}  // namespace kiln::format
