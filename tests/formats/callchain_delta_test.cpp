// Callchain deltas: what the recorder writes must expand to exactly the samples it was given,
// across interleaved threads, callchains that grow, shrink and repeat, chunk boundaries and
// stack deltas of another event in the same chunk; deltas that cannot be decoded are dropped
// with a reason, never read out of bounds.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "formats/byte_io.h"
#include "formats/callchain_delta.h"
#include "formats/kiln_format.h"
#include "formats/record_expansion.h"
#include "formats/stack_delta.h"
#include "tests/formats/record_test_helpers.h"

using namespace kiln::format;
using kiln::ByteWriter;
using namespace kiln::format::testing;

namespace {

constexpr uint64_t kId = 41;

perf_event_attr fp_attr() {
    perf_event_attr a{};
    a.size = sizeof a;
    a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
                    PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW;
    a.sample_id_all = 1;
    return a;
}
SampleLayout layout() { return SampleLayout::from_attr(fp_attr()); }

std::vector<EventDescription> events(perf_event_attr a = fp_attr()) {
    EventDescription e;
    e.name = "cpu-clock";
    e.attr.assign(reinterpret_cast<const uint8_t*>(&a), reinterpret_cast<const uint8_t*>(&a) + sizeof a);
    e.ids = {kId};
    return {e};
}

// A sample of thread `tid` with this callchain and 4 bytes of raw data after it.
std::vector<uint8_t> sample(uint32_t tid, const std::vector<uint64_t>& chain, uint64_t time) {
    ByteWriter w;
    w.u32(PERF_RECORD_SAMPLE);
    w.u16(0);
    w.u16(0);
    w.u64(kId);
    w.u64(chain.empty() ? 0 : chain[0]);
    w.u32(tid);
    w.u32(tid);
    w.u64(time);
    w.u32(1);  // cpu
    w.u32(0);
    w.u64(250000);
    w.u64(chain.size());
    for (uint64_t ip : chain) w.u64(ip);
    w.u32(4);
    w.u32(static_cast<uint32_t>(time));  // raw: {u32 size; u8 data[size]}, padded to 8
    auto bytes = w.take();
    set_record_header(bytes.data(), PERF_RECORD_SAMPLE, bytes.size());
    return bytes;
}

std::vector<uint8_t> encode_chunk(CallchainDeltaEncoder& enc, const std::vector<std::vector<uint8_t>>& records) {
    std::vector<uint8_t> payload;
    for (const auto& r : records) {
        const size_t at = payload.size();
        payload.resize(at + r.size() + CallchainDeltaEncoder::kSlack);
        payload.resize(at + enc.encode(layout(), r, payload.data() + at));
    }
    return payload;
}

// Three threads, each walking down and up a call tree: outer frames stay, inner ones change.
std::vector<std::vector<uint8_t>> workload(size_t samples, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::vector<uint64_t>> chains(3);
    std::vector<std::vector<uint8_t>> out;
    for (size_t i = 0; i < samples; ++i) {
        const size_t t = rng() % 3;
        const auto chain = next_callchain(rng, chains[t], t, 64);
        out.push_back(sample(static_cast<uint32_t>(200 + t), chain, 1000 + i));
    }
    return out;
}

}  // namespace

TEST(CallchainDelta, ExpandsToExactlyTheSamplesAndIsSmaller) {
    const auto records = workload(3000, 1);
    CallchainDeltaEncoder enc;
    const auto payload = encode_chunk(enc, records);
    EXPECT_EQ(count_type(payload, kRecordCallchainDelta), records.size());
    const auto whole = joined(records);
    EXPECT_LT(payload.size(), whole.size() * 8 / 10) << "shared outer frames are left out";
    std::vector<uint8_t> out;
    const auto r = expand_stack_deltas(StackLayouts(events()), payload, out);
    EXPECT_TRUE(r.expanded);
    EXPECT_EQ(r.dropped, 0u) << r.first_error;
    EXPECT_EQ(out, whole);
    // In slices too, each ending on a record.
    EXPECT_EQ(expanded_in_slices(StackLayouts(events()), payload, 4096), whole);
}

TEST(CallchainDelta, RepeatedEmptyAndChangedCallchainsRoundTrip) {
    const std::vector<uint64_t> a{PERF_CONTEXT_USER, 0x10, 0x20, 0x30}, b{PERF_CONTEXT_USER, 0x11, 0x20, 0x30},
        c{PERF_CONTEXT_USER, 0x99};
    const std::vector<std::vector<uint8_t>> records{sample(5, a, 1), sample(5, a, 2),  sample(6, a, 3),
                                                    sample(5, b, 4), sample(5, {}, 5), sample(5, c, 6),
                                                    sample(5, a, 7), sample(6, {}, 8), sample(6, a, 9)};
    CallchainDeltaEncoder enc;
    const auto payload = encode_chunk(enc, records);
    EXPECT_EQ(count_type(payload, kRecordCallchainDelta), 7u) << "samples without a callchain stay as they are";
    std::vector<uint8_t> out;
    const auto r = expand_stack_deltas(StackLayouts(events()), payload, out);
    EXPECT_EQ(r.dropped, 0u) << r.first_error;
    EXPECT_EQ(out, joined(records));
    // The repeat of a keeps none of its frames: nr 1 (the count alone), shared 4.
    perf_event_header h;
    std::memcpy(&h, payload.data(), sizeof h);
    EXPECT_EQ(h.size, records[0].size() + 8);
    std::memcpy(&h, payload.data() + records[0].size() + 8, sizeof h);
    EXPECT_EQ(h.size, records[1].size() + 8 - 4 * 8);
}

TEST(CallchainDelta, EveryChunkDecodesOnItsOwn) {
    const auto records = workload(400, 2);
    const std::vector<std::vector<uint8_t>> first(records.begin(), records.begin() + 200),
        second(records.begin() + 200, records.end());
    CallchainDeltaEncoder enc;
    const auto p1 = encode_chunk(enc, first);
    enc.reset();
    const auto p2 = encode_chunk(enc, second);
    std::vector<uint8_t> out;
    auto r = expand_stack_deltas(StackLayouts(events()), p2, out);
    EXPECT_EQ(r.dropped, 0u) << r.first_error;
    EXPECT_EQ(out, joined(second));
    r = expand_stack_deltas(StackLayouts(events()), p1, out);
    EXPECT_EQ(out, joined(first));
}

TEST(CallchainDelta, UndecodableDeltasAreDroppedWithAReason) {
    const std::vector<uint64_t> chain{PERF_CONTEXT_USER, 0x10, 0x20, 0x30};
    const std::vector<std::vector<uint8_t>> records{sample(7, chain, 1), sample(7, chain, 2)};
    CallchainDeltaEncoder enc;
    const auto payload = encode_chunk(enc, records);
    // The second shares all its frames with the first: alone, it cannot decode.
    perf_event_header h;
    std::memcpy(&h, payload.data(), sizeof h);
    std::vector<uint8_t> out;
    auto r = expand_stack_deltas(StackLayouts(events()), std::span(payload).subspan(h.size), out);
    EXPECT_EQ(r.dropped, 1u);
    EXPECT_NE(r.first_error.find("shares 4 frames of thread 7"), std::string::npos) << r.first_error;
    EXPECT_TRUE(out.empty());
    // Of an event without callchains, or one the header does not list.
    auto no_chain = fp_attr();
    no_chain.sample_type &= ~uint64_t{PERF_SAMPLE_CALLCHAIN};
    r = expand_stack_deltas(StackLayouts(events(no_chain)), payload, out);
    EXPECT_EQ(r.dropped, 2u);
    r = expand_stack_deltas(StackLayouts(), payload, out);
    EXPECT_EQ(r.dropped, 2u);
    EXPECT_NE(r.first_error.find("delta record of an unknown event"), std::string::npos) << r.first_error;
    expect_damage_survived(StackLayouts(events()), payload);
}
