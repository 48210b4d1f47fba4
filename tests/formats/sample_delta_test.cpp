// Sample deltas: what the recorder writes must expand to exactly the samples it was given,
// whatever the event's fields, across interleaved threads, changing pids, cpus and periods,
// callchains that grow, shrink and repeat, and chunk boundaries; a delta is never bigger than
// the bound the recorder reserves for it; deltas that cannot be decoded are dropped with a
// reason, never read out of bounds.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "formats/byte_io.h"
#include "formats/kiln_format.h"
#include "formats/record_expansion.h"
#include "formats/sample_delta.h"
#include "formats/stack_delta.h"
#include "tests/formats/record_test_helpers.h"

using namespace kiln::format;
using kiln::ByteWriter;
using namespace kiln::format::testing;

namespace {

constexpr uint64_t kId = 41;
constexpr uint64_t kFpType = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                             PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW;

perf_event_attr attr_of(uint64_t sample_type) {
    perf_event_attr a{};
    a.size = sizeof a;
    a.sample_type = sample_type;
    a.sample_id_all = 1;
    return a;
}

std::vector<EventDescription> events(uint64_t sample_type = kFpType) {
    const perf_event_attr a = attr_of(sample_type);
    EventDescription e;
    e.name = "cpu-clock";
    e.attr.assign(reinterpret_cast<const uint8_t*>(&a), reinterpret_cast<const uint8_t*>(&a) + sizeof a);
    e.ids = {kId};
    return {e};
}

struct Fields {
    uint32_t pid = 0, tid = 0;
    uint64_t ip = 0, time = 0, addr = 0, id = kId, stream_id = kId, period = 250000;
    uint32_t cpu = 1;
    std::vector<uint64_t> chain;
    std::vector<uint8_t> raw = {1, 2, 3, 4};
};

// A sample of `sample_type` holding f's values, in the kernel's field order.
std::vector<uint8_t> sample(uint64_t sample_type, const Fields& f) {
    ByteWriter w;
    w.u64(0);  // header, set below
    if (sample_type & PERF_SAMPLE_IDENTIFIER) w.u64(f.id);
    if (sample_type & PERF_SAMPLE_IP) w.u64(f.ip);
    if (sample_type & PERF_SAMPLE_TID) {
        w.u32(f.pid);
        w.u32(f.tid);
    }
    if (sample_type & PERF_SAMPLE_TIME) w.u64(f.time);
    if (sample_type & PERF_SAMPLE_ADDR) w.u64(f.addr);
    if (sample_type & PERF_SAMPLE_ID) w.u64(f.id);
    if (sample_type & PERF_SAMPLE_STREAM_ID) w.u64(f.stream_id);
    if (sample_type & PERF_SAMPLE_CPU) {
        w.u32(f.cpu);
        w.u32(0);
    }
    if (sample_type & PERF_SAMPLE_PERIOD) w.u64(f.period);
    if (sample_type & PERF_SAMPLE_CALLCHAIN) {
        w.u64(f.chain.size());
        for (uint64_t ip : f.chain) w.u64(ip);
    }
    if (sample_type & PERF_SAMPLE_RAW) {  // {u32 size; u8 data[size]}, padded to 8
        w.u32(static_cast<uint32_t>(f.raw.size()));
        w.raw(f.raw.data(), f.raw.size());
        while (w.size() % 8) w.u8(0);
    }
    auto bytes = w.take();
    const perf_event_header h{PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, static_cast<uint16_t>(bytes.size())};
    std::memcpy(bytes.data(), &h, sizeof h);
    return bytes;
}

std::vector<uint8_t> encode_chunk(SampleDeltaEncoder& enc, uint64_t sample_type,
                                  const std::vector<std::vector<uint8_t>>& records) {
    const auto layout = SampleLayout::from_attr(attr_of(sample_type));
    std::vector<uint8_t> payload;
    for (const auto& r : records) {
        const size_t at = payload.size(), room = SampleDeltaEncoder::max_encoded_size(r.size());
        payload.resize(at + room);
        const size_t n = enc.encode(layout, r, payload.data() + at);
        EXPECT_LE(n, room);
        payload.resize(at + n);
    }
    return payload;
}

// Three threads of two processes sampled at ~4000 Hz on two CPUs, each walking down and up a
// call tree: outer frames stay, inner ones change; one thread migrates now and then.
std::vector<std::vector<uint8_t>> workload(uint64_t sample_type, size_t samples, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::vector<uint64_t>> chains(3);
    std::vector<uint64_t> times{1'000'000'000'000, 1'000'000'100'000, 1'000'000'200'000};
    std::vector<std::vector<uint8_t>> out;
    for (size_t i = 0; i < samples; ++i) {
        const size_t t = rng() % 3;
        Fields f;
        f.chain = next_callchain(rng, chains[t], t, 4096);
        f.pid = t == 2 ? 300 : 200;
        f.tid = static_cast<uint32_t>(200 + t);
        f.time = times[t] += 250000 + rng() % 2000;
        f.cpu = t == 2 && rng() % 8 == 0 ? 0 : 1;
        f.period = 250000 + rng() % 3000 - 1500;
        f.addr = rng() % 2 ? 0x7ffd0000 + rng() % 65536 : 0;
        f.ip = f.chain[1];
        f.raw.assign(rng() % 12, static_cast<uint8_t>(i));
        out.push_back(sample(sample_type, f));
    }
    return out;
}

std::vector<uint8_t> expanded(uint64_t sample_type, std::span<const uint8_t> payload, size_t expect_dropped = 0) {
    std::vector<uint8_t> out;
    const auto r = expand_stack_deltas(StackLayouts(events(sample_type)), payload, out);
    EXPECT_EQ(r.dropped, expect_dropped) << r.first_error;
    return out;
}

}  // namespace

TEST(SampleDelta, FramePointerSamplesExpandToExactlyThemselvesAtAThirdOfTheBytes) {
    const auto records = workload(kFpType, 3000, 1);
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, kFpType, records);
    EXPECT_EQ(count_type(payload, kRecordSampleDelta), records.size());
    const auto whole = joined(records);
    EXPECT_LT(payload.size(), whole.size() * 4 / 10) << "fixed fields and shared frames shrink";
    EXPECT_EQ(expanded(kFpType, payload), whole);
    // In slices too, each ending on a record.
    EXPECT_EQ(expanded_in_slices(StackLayouts(events()), payload, 4096), whole);
}

TEST(SampleDelta, EveryFieldLayoutRoundTrips) {
    // No callchain (-g none), no identifier (one event), every optional u64, tracepoint RAW.
    for (uint64_t st : {uint64_t{PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                                 PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD},
                        uint64_t{PERF_SAMPLE_TID | PERF_SAMPLE_CALLCHAIN},
                        uint64_t{PERF_SAMPLE_TID},
                        kFpType | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID,
                        uint64_t{PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW}}) {
        SCOPED_TRACE(st);
        const auto records = workload(st, 500, 3);
        SampleDeltaEncoder enc;
        const auto payload = encode_chunk(enc, st, records);
        EXPECT_EQ(count_type(payload, kRecordSampleDelta), records.size());
        EXPECT_EQ(expanded(st, payload), joined(records));
        perf_event_header h;
        std::memcpy(&h, payload.data(), sizeof h);
        EXPECT_EQ(h.misc, PERF_RECORD_MISC_USER);
        EXPECT_EQ(record_identifier(std::span(payload).first(h.size)), st & PERF_SAMPLE_IDENTIFIER ? kId : 0);
    }
}

TEST(SampleDelta, RepeatedEmptyAndChangedCallchainsRoundTrip) {
    const std::vector<uint64_t> a{PERF_CONTEXT_USER, 0x10, 0x20, 0x30}, b{PERF_CONTEXT_USER, 0x11, 0x20, 0x30},
        c{PERF_CONTEXT_USER, 0x99};
    std::vector<std::vector<uint8_t>> records;
    uint64_t time = 1;
    for (auto [tid, chain] : std::vector<std::pair<uint32_t, std::vector<uint64_t>>>{
             {5, a}, {5, a}, {6, a}, {5, b}, {5, {}}, {5, c}, {5, a}, {6, {}}, {6, a}}) {
        Fields f;
        f.pid = f.tid = tid;
        f.chain = chain;
        f.time = time++;
        records.push_back(sample(kFpType, f));
    }
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, kFpType, records);
    EXPECT_EQ(count_type(payload, kRecordSampleDelta), records.size());
    EXPECT_EQ(expanded(kFpType, payload), joined(records));
    // The repeat of a: header, id, tid, five one-byte field deltas, fresh 0, shared 4, raw 8.
    perf_event_header h;
    std::memcpy(&h, payload.data(), sizeof h);
    std::memcpy(&h, payload.data() + h.size, sizeof h);
    EXPECT_EQ(h.size, 8u + 1 + 1 + 5 + 1 + 1 + 8);
}

TEST(SampleDelta, EveryChunkDecodesOnItsOwn) {
    const auto records = workload(kFpType, 400, 2);
    const std::vector<std::vector<uint8_t>> first(records.begin(), records.begin() + 200),
        second(records.begin() + 200, records.end());
    SampleDeltaEncoder enc;
    const auto p1 = encode_chunk(enc, kFpType, first);
    enc.reset();
    const auto p2 = encode_chunk(enc, kFpType, second);
    EXPECT_EQ(expanded(kFpType, p2), joined(second));
    EXPECT_EQ(expanded(kFpType, p1), joined(first));
}

TEST(SampleDelta, ExtremeValuesStayWithinTheReservedBound) {
    // Every field and frame as far from the previous as it can be: varints of 10 bytes.
    std::mt19937_64 rng(4);
    std::vector<std::vector<uint8_t>> records;
    const uint64_t st = kFpType | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID;
    for (int i = 0; i < 200; ++i) {
        Fields f;
        f.pid = static_cast<uint32_t>(rng());
        f.tid = 9;
        f.ip = rng(), f.time = rng(), f.addr = rng(), f.stream_id = rng(), f.period = rng();
        f.id = i % 2 ? kId : ~uint64_t{0} - kId;
        f.cpu = static_cast<uint32_t>(rng());
        f.chain.resize(rng() % 200);
        for (auto& ip : f.chain) ip = rng();
        records.push_back(sample(st, f));
    }
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, st, records);  // checks the bound per record
    EXPECT_EQ(count_type(payload, kRecordSampleDelta), records.size());
    EXPECT_EQ(expanded(st, payload), joined(records));
}

TEST(SampleDelta, MalformedAndHugeSamplesStayAsTheyAre) {
    Fields f;
    f.pid = f.tid = 3;
    f.chain = {PERF_CONTEXT_USER, 0x10};
    auto bad = sample(kFpType, f);
    const uint64_t nr = 1000;  // more entries than the record holds
    std::memcpy(bad.data() + 8 + 6 * 8, &nr, 8);
    f.raw.assign(60000, 7);
    const auto huge = sample(kFpType, f);
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, kFpType, {bad, huge});
    EXPECT_EQ(count_type(payload, PERF_RECORD_SAMPLE), 2u);
    EXPECT_EQ(payload, joined({bad, huge}));
}

TEST(SampleDelta, UndecodableDeltasAreDroppedWithAReason) {
    Fields f;
    f.pid = f.tid = 7;
    f.chain = {PERF_CONTEXT_USER, 0x10, 0x20, 0x30};
    const std::vector<std::vector<uint8_t>> records{sample(kFpType, f), sample(kFpType, f)};
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, kFpType, records);
    // The second shares all its frames with the first: alone, it cannot decode.
    perf_event_header h;
    std::memcpy(&h, payload.data(), sizeof h);
    std::vector<uint8_t> out;
    auto r = expand_stack_deltas(StackLayouts(events()), std::span(payload).subspan(h.size), out);
    EXPECT_EQ(r.dropped, 1u);
    EXPECT_NE(r.first_error.find("shares 4 frames of thread 7"), std::string::npos) << r.first_error;
    EXPECT_TRUE(out.empty());
    // Of an event the header does not list, or one with READ.
    r = expand_stack_deltas(StackLayouts(), payload, out);
    EXPECT_EQ(r.dropped, 2u);
    EXPECT_NE(r.first_error.find("delta record of an unknown event"), std::string::npos) << r.first_error;
    r = expand_stack_deltas(StackLayouts(events(kFpType | PERF_SAMPLE_READ)), payload, out);
    EXPECT_EQ(r.dropped, 2u);
    enc.reset();
    expect_damage_survived(StackLayouts(events()), encode_chunk(enc, kFpType, workload(kFpType, 40, 5)));
}
