// Sample deltas: what the recorder writes must expand to exactly the samples it was given,
// whatever the event's fields, across interleaved threads, changing pids, cpus and periods,
// callchains that grow, shrink and repeat, and chunk boundaries; a delta is never bigger than
// the bound the recorder reserves for it; deltas that cannot be decoded are dropped with a
// reason, never read out of bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "formats/byte_io.h"
#include "formats/kiln_format.h"
#include "formats/record_expansion.h"
#include "formats/sample_delta.h"
#include "formats/stack_delta.h"
#include "formats/varint.h"
#include "tests/formats/record_test_helpers.h"

using namespace kiln::format;
using kiln::ByteWriter;
using namespace kiln::format::testing;

namespace {

constexpr uint64_t kId = 41;
constexpr uint64_t kFpType = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                             PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW;

// -g fp's stack top: the stack and instruction pointers, 32 bytes at sp.
constexpr uint64_t kSpIpRegs = (1ULL << 7) | (1ULL << 8);  // PERF_REG_X86_SP, PERF_REG_X86_IP
constexpr uint64_t kStackTopType = (kFpType & ~uint64_t{PERF_SAMPLE_RAW}) | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;

perf_event_attr attr_of(uint64_t sample_type, uint64_t regs = kSpIpRegs) {
    perf_event_attr a{};
    a.size = sizeof a;
    a.sample_type = sample_type;
    a.sample_id_all = 1;
    if (sample_type & PERF_SAMPLE_REGS_USER) a.sample_regs_user = regs;
    if (sample_type & PERF_SAMPLE_STACK_USER) a.sample_stack_user = 32;
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
    uint64_t abi = 2;                  // PERF_SAMPLE_REGS_ABI_64; 0: no user registers (a kernel thread)
    std::vector<uint64_t> regs;        // the mask's registers, lowest number first
    std::vector<uint8_t> stack;        // STACK_USER's copy (its size field is stack.size())
    uint64_t dyn_size = 0;
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
    if (sample_type & PERF_SAMPLE_REGS_USER) {
        w.u64(f.abi);
        if (f.abi != 0)
            for (uint64_t r : f.regs) w.u64(r);
    }
    if (sample_type & PERF_SAMPLE_STACK_USER) {
        w.u64(f.stack.size());
        w.raw(f.stack.data(), f.stack.size());
        if (!f.stack.empty()) w.u64(f.dyn_size);
    }
    auto bytes = w.take();
    const perf_event_header h{PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, static_cast<uint16_t>(bytes.size())};
    std::memcpy(bytes.data(), &h, sizeof h);
    return bytes;
}

std::vector<uint8_t> encode_chunk(SampleDeltaEncoder& enc, uint64_t sample_type,
                                  const std::vector<std::vector<uint8_t>>& records) {
    const auto layout = SampleLayout::from_attr(attr_of(sample_type));
    EXPECT_EQ(enc.write_times(nullptr), 0u) << "a chunk starts without times";
    std::vector<uint8_t> payload;
    for (const auto& r : records) {
        const size_t at = payload.size(), room = SampleDeltaEncoder::max_encoded_size(r.size());
        const size_t room_for_times = enc.times_room();
        payload.resize(at + room);
        const size_t n = enc.encode(layout, r, payload.data() + at);
        EXPECT_LE(n, room);
        payload.resize(at + n);
        EXPECT_LE(enc.write_times(nullptr), room_for_times) << "the chunk's times fit the room kept for them";
    }
    const size_t at = payload.size(), n = enc.write_times(nullptr);
    payload.resize(at + n);
    EXPECT_EQ(enc.write_times(payload.data() + at), n);
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
        // The stack top: sp moves with the call depth, ip is the first user frame but now and
        // then (a sample in a frameless leaf's prologue would show a different one).
        const uint64_t sp = 0x7ffd'0000'0000 - 64 * f.chain.size();
        const uint64_t user_ip = *(std::find(f.chain.begin(), f.chain.end(), PERF_CONTEXT_USER) + 1);
        f.regs = {sp, rng() % 16 == 0 ? user_ip + 3 : user_ip};
        f.stack.resize(32);
        for (size_t k = 0; k < f.stack.size(); ++k) f.stack[k] = static_cast<uint8_t>(sp >> (k % 8) ^ k);
        f.dyn_size = rng() % 8 == 0 ? 24 : 32;
        if (rng() % 50 == 0) {  // a kernel thread: no user registers, an empty copy
            f.abi = 0;
            f.stack.clear();
        }
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

// Encodes records of an event with this attr into one chunk (its SAMPLE_TIMES at the end),
// expands it, checks nothing was dropped, and returns the expansion and the chunk's times' bytes.
std::pair<std::vector<uint8_t>, size_t> chunk_round_trip(const perf_event_attr& attr,
                                                         const std::vector<std::vector<uint8_t>>& records) {
    const auto layout = SampleLayout::from_attr(attr);
    SampleDeltaEncoder enc;
    std::vector<uint8_t> payload;
    for (const auto& r : records) {
        const size_t at = payload.size();
        payload.resize(at + SampleDeltaEncoder::max_encoded_size(r.size()));
        payload.resize(at + enc.encode(layout, r, payload.data() + at));
    }
    const size_t times = enc.write_times(nullptr), at = payload.size();
    payload.resize(at + times);
    enc.write_times(payload.data() + at);
    EventDescription ev;
    ev.name = "cpu-clock";
    ev.attr.assign(reinterpret_cast<const uint8_t*>(&attr), reinterpret_cast<const uint8_t*>(&attr) + sizeof attr);
    ev.ids = {kId};
    std::vector<uint8_t> back;
    const auto r = expand_stack_deltas(StackLayouts({ev}), payload, back);
    EXPECT_EQ(r.dropped, 0u) << r.first_error;
    return {back, times};
}

}  // namespace

TEST(SampleDelta, FramePointerSamplesExpandToExactlyThemselvesAtAThirdOfTheBytes) {
    const auto records = workload(kFpType, 3000, 1);
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, kFpType, records);
    EXPECT_EQ(count_type(payload, kRecordCompactSample), records.size());
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
        EXPECT_EQ(count_type(payload, kRecordCompactSample), records.size());
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
    EXPECT_EQ(count_type(payload, kRecordCompactSample), records.size());
    EXPECT_EQ(expanded(kFpType, payload), joined(records));
    // The repeat of a: header, id, tid, four one-byte field deltas (the time is in the chunk's
    // SAMPLE_TIMES), fresh 0, shared 4, the tail's form, raw 8.
    perf_event_header h;
    std::memcpy(&h, payload.data(), sizeof h);
    std::memcpy(&h, payload.data() + h.size, sizeof h);
    EXPECT_EQ(h.size, 8u + 1 + 1 + 4 + 1 + 1 + 1 + 8);
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
    EXPECT_EQ(count_type(payload, kRecordCompactSample), records.size());
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

TEST(SampleDelta, TheStackTopsRegistersAndCopyRoundTripAndShrink) {
    // -g fp's samples: sp and ip as differences (ip from the callchain's first user entry, sp
    // from the thread's last), the 32-byte copy and its sizes as small numbers.
    const auto records = workload(kStackTopType, 3000, 6);
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, kStackTopType, records);
    EXPECT_EQ(count_type(payload, kRecordCompactSample), records.size());
    EXPECT_EQ(expanded(kStackTopType, payload), joined(records));
    EXPECT_EQ(expanded_in_slices(StackLayouts(events(kStackTopType)), payload, 4096), joined(records));
    // The tail (abi, two registers, size, 32 bytes, dyn_size: 72 bytes) takes ~38 stored.
    size_t tails = 0;
    for (const auto& r : records) tails += r.size();
    EXPECT_LT(payload.size(), tails / 2);
    // Registers the event has beyond the kept 24 (none on x86-64's general set) and a mask
    // with ip alone round-trip too.
    for (uint64_t regs : {uint64_t{1} << 8, (uint64_t{1} << 8) | (uint64_t{1} << 40)}) {
        Fields f;
        f.pid = f.tid = 12;
        f.chain = {PERF_CONTEXT_USER, 0x401000, 0x402000};
        f.regs = regs == (uint64_t{1} << 8) ? std::vector<uint64_t>{0x401000} : std::vector<uint64_t>{0x401000, 77};
        f.stack.assign(32, 9);
        f.dyn_size = 32;
        const auto one = sample(kStackTopType, f);
        EXPECT_EQ(chunk_round_trip(attr_of(kStackTopType, regs), {one}).first, one);
    }
}

TEST(SampleDelta, TimesSpanAsManySampleTimesRecordsAsTheyNeed) {
    // Times far apart take 10-byte varints: 8000 of them need two SAMPLE_TIMES records, split
    // between two varints.
    std::mt19937_64 rng(7);
    std::vector<std::vector<uint8_t>> records;
    for (int i = 0; i < 8000; ++i) {
        Fields f;
        f.pid = f.tid = 5 + i % 3;
        f.time = rng();
        f.chain = {PERF_CONTEXT_USER, 0x401000};
        records.push_back(sample(kFpType, f));
    }
    SampleDeltaEncoder enc;
    const auto payload = encode_chunk(enc, kFpType, records);
    EXPECT_EQ(count_type(payload, kRecordSampleTimes), 2u);
    EXPECT_EQ(expanded(kFpType, payload), joined(records));
    EXPECT_EQ(expanded_in_slices(StackLayouts(events()), payload, 1000), joined(records));
}

TEST(SampleDelta, SamplesWithoutTheirTimesAreDroppedWithAReason) {
    const auto records = workload(kFpType, 20, 8);
    SampleDeltaEncoder enc;
    auto payload = encode_chunk(enc, kFpType, records);
    // Cut the SAMPLE_TIMES record off the chunk's end.
    const size_t times_at = payload.size() - enc.write_times(nullptr);
    payload.resize(times_at);
    std::vector<uint8_t> out;
    const auto r = expand_stack_deltas(StackLayouts(events()), payload, out);
    EXPECT_EQ(r.dropped, records.size());
    EXPECT_NE(r.first_error.find("SAMPLE_TIMES hold no time"), std::string::npos) << r.first_error;
}

TEST(SampleDelta, Format4SampleDeltasStillExpand) {
    // 4.x recorders wrote SAMPLE_DELTA (0x4b04): the time among the fields, the tail as it is.
    // Two samples of thread 9: ip 0x401010 then 0x401020, time 1000 then 1250, cpu 1, period
    // 250000, callchain {USER, ip, 0x402000} then the same with the new ip, raw {1,2,3,4}.
    std::vector<std::vector<uint8_t>> records;
    for (uint64_t k : {0, 1}) {
        Fields f;
        f.pid = f.tid = 9;
        f.ip = 0x401010 + 0x10 * k;
        f.time = 1000 + 250 * k;
        f.chain = {PERF_CONTEXT_USER, f.ip, 0x402000};
        records.push_back(sample(kFpType, f));
    }
    std::vector<uint8_t> payload;
    auto record = [&](std::vector<uint64_t> ulebs, const std::vector<uint8_t>& tail) {
        std::vector<uint8_t> r(8);
        for (uint64_t v : ulebs) {
            uint8_t b[10];
            r.insert(r.end(), b, put_uleb(b, v));
        }
        r.insert(r.end(), tail.begin(), tail.end());
        const perf_event_header h{kRecordSampleDelta, PERF_RECORD_MISC_USER, static_cast<uint16_t>(r.size())};
        std::memcpy(r.data(), &h, sizeof h);
        payload.insert(payload.end(), r.begin(), r.end());
    };
    const std::vector<uint8_t> raw = {4, 0, 0, 0, 1, 2, 3, 4};
    // id, tid, then ip, pid, time, cpu, period differences, fresh, shared, entries.
    record({kId, 9, zigzag(0x401010), zigzag(9), zigzag(1000), zigzag(1), zigzag(250000), 3, 0,
            zigzag(PERF_CONTEXT_USER), zigzag(0x401010), zigzag(0x402000)},
           raw);
    record({kId, 9, zigzag(0x10), 0, zigzag(250), 0, 0, 2, 1, 0, zigzag(0x10)}, raw);  // 0x402000 shared
    EXPECT_EQ(expanded(kFpType, payload), joined(records));
}

TEST(SampleDelta, ASoftwareTimersTimesAreStoredAgainstItsPeriod) {
    // cpu-clock's samples come a period apart but for jitter: stored against the period, each
    // time takes a byte or two; with a fixed period (-c, no PERIOD field) the attr's is used.
    for (const bool fixed : {false, true}) {
        SCOPED_TRACE(fixed);
        const uint64_t st = fixed ? kFpType & ~uint64_t{PERF_SAMPLE_PERIOD} : kFpType;
        perf_event_attr attr = attr_of(st);
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        attr.sample_period = 1'001'001;
        ASSERT_TRUE(SampleLayout::from_attr(attr).period_is_time);
        std::mt19937_64 rng(9);
        std::vector<std::vector<uint8_t>> records;
        uint64_t time = 5'000'000'000;
        for (int i = 0; i < 2000; ++i) {
            Fields f;
            f.pid = f.tid = 40 + i % 2;  // two threads sharing a CPU: each a period apart
            f.period = 1'001'001;
            f.time = time += i % 2 ? 1'001'001 + rng() % 4000 - 2000 : 3;
            f.chain = {PERF_CONTEXT_USER, 0x401000 + rng() % 64};
            records.push_back(sample(st, f));
        }
        const auto [back, times] = chunk_round_trip(attr, records);
        EXPECT_LT(times, records.size() * 2 + 64) << "at most two bytes a time";
        EXPECT_EQ(back, joined(records));
    }
}
