// Stack deltas: what the recorder writes must expand to exactly the trimmed samples it was
// given, across threads, moving stack pointers, full and empty copies and chunk boundaries;
// deltas that cannot be decoded are dropped with a reason, never read out of bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "formats/byte_io.h"
#include "formats/kiln_format.h"
#include "formats/record_expansion.h"
#include "formats/stack_delta.h"
#include "tests/formats/record_test_helpers.h"

using namespace kiln::format;
using namespace kiln::format::testing;
using kiln::ByteWriter;

namespace {

constexpr int kSp = 1;          // register number of the stack pointer in these tests
constexpr uint64_t kId = 77;    // the one event's id
constexpr size_t kCopy = 4096;  // bytes each sample asks for (-g dwarf,4096)

perf_event_attr dwarf_attr() {
    perf_event_attr a{};
    a.size = sizeof a;
    a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                    PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER | PERF_SAMPLE_WEIGHT;
    a.sample_regs_user = 0x7;  // registers 0, 1 (sp) and 2
    a.sample_id_all = 1;
    return a;
}
SampleLayout layout() { return SampleLayout::from_attr(dwarf_attr()); }

std::vector<EventDescription> events() {
    EventDescription e;
    e.name = "cpu-clock";
    const perf_event_attr a = dwarf_attr();
    e.attr.assign(reinterpret_cast<const uint8_t*>(&a), reinterpret_cast<const uint8_t*>(&a) + sizeof a);
    e.ids = {kId};
    return {e};
}

// The same event beside one that copies no stacks: records are told apart by their ids.
std::vector<EventDescription> two_events() {
    auto out = events();
    EventDescription other = out[0];
    perf_event_attr a = dwarf_attr();
    a.sample_type &= ~uint64_t{PERF_SAMPLE_STACK_USER | PERF_SAMPLE_REGS_USER};
    other.attr.assign(reinterpret_cast<const uint8_t*>(&a), reinterpret_cast<const uint8_t*>(&a) + sizeof a);
    other.ids = {kId + 1};
    out.insert(out.begin(), other);
    return out;
}

// A sample of thread `tid` whose copy starts at `sp` and holds stack[0, dyn) of kCopy bytes.
std::vector<uint8_t> sample(uint32_t tid, uint64_t sp, std::span<const uint8_t> stack, uint64_t weight = 9,
                            uint8_t unused = 0xcd) {
    ByteWriter w;
    w.u32(PERF_RECORD_SAMPLE);
    w.u16(0);
    w.u16(0);
    w.u64(kId);
    w.u64(0x401000);
    w.u32(tid);
    w.u32(tid);
    w.u64(1000 + weight);
    w.u64(2);  // abi
    w.u64(10);
    w.u64(sp);
    w.u64(12);
    w.u64(kCopy);
    std::vector<uint8_t> copy(kCopy, unused);  // the kernel's unused tail
    if (!stack.empty()) std::memcpy(copy.data(), stack.data(), stack.size());
    w.raw(copy.data(), copy.size());
    w.u64(stack.size());
    w.u64(weight);
    auto bytes = w.take();
    set_record_header(bytes.data(), PERF_RECORD_SAMPLE, bytes.size());
    return bytes;
}

// Encodes each record as the recorder would into one chunk payload.
std::vector<uint8_t> encode_chunk(StackDeltaEncoder& enc, const std::vector<std::vector<uint8_t>>& records) {
    std::vector<uint8_t> payload;
    for (const auto& r : records) {
        perf_event_header h;
        std::memcpy(&h, r.data(), sizeof h);
        if (h.type != PERF_RECORD_SAMPLE) {  // the drain loop copies other records as they are
            payload.insert(payload.end(), r.begin(), r.end());
            continue;
        }
        const size_t at = payload.size();
        payload.resize(at + r.size() + StackDeltaEncoder::kSlack);
        payload.resize(at + enc.encode(layout(), r, payload.data() + at));
    }
    return payload;
}

std::vector<uint8_t> trimmed(const std::vector<std::vector<uint8_t>>& records) {
    std::vector<uint8_t> out;
    for (const auto& r : records) {
        perf_event_header h;
        std::memcpy(&h, r.data(), sizeof h);
        if (h.type != PERF_RECORD_SAMPLE) {
            out.insert(out.end(), r.begin(), r.end());
            continue;
        }
        const size_t at = out.size();
        out.resize(at + r.size());
        out.resize(at + copy_trimmed_sample(layout(), r, out.data() + at));
        // The bytes between dyn_size and the 8-byte boundary mean nothing; a decoded delta
        // has zeros there.
        auto s = parse_sample(layout(), std::span(out).subspan(at));
        EXPECT_TRUE(s.ok());
        if (s.ok() && s->stack.data() != nullptr) {
            const size_t data_at = static_cast<size_t>(s->stack.data() - (out.data() + at));
            const size_t dyn = s->stack.size(), keep = std::max<size_t>(8, (dyn + 7) & ~size_t{7});
            std::fill(out.begin() + static_cast<std::ptrdiff_t>(at + data_at + dyn),
                      out.begin() + static_cast<std::ptrdiff_t>(at + data_at + keep), 0);
        }
    }
    return out;
}

// Two threads calling down and back up a stack whose frames change a little each sample.
// The stacks' tops are 64-byte aligned unless `top_offset` says otherwise.
std::vector<std::vector<uint8_t>> workload(size_t samples, unsigned seed, uint64_t top_offset = 0) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> frames[2] = {std::vector<uint8_t>(kCopy), std::vector<uint8_t>(kCopy)};
    for (auto& f : frames)
        for (auto& b : f) b = static_cast<uint8_t>(rng());
    const uint64_t top[2] = {0x7ffc00001000 + top_offset, 0x7f0000802000 + top_offset};
    std::vector<std::vector<uint8_t>> out;
    for (size_t i = 0; i < samples; ++i) {
        const int t = static_cast<int>(rng() % 2);
        const size_t depth = 1000 + rng() % 3000;  // bytes in use: sp moves, unaligned
        const uint64_t sp = top[t] - depth;
        for (int k = 0; k < 3; ++k) frames[t][kCopy - depth + rng() % depth] = static_cast<uint8_t>(rng());
        // The copy runs from sp to the top of the stack (dyn_size = depth).
        out.push_back(sample(100 + t, sp, std::span(frames[t]).subspan(kCopy - depth)));
    }
    return out;
}

}  // namespace

TEST(StackDelta, ExpandsToExactlyTheTrimmedSamplesAndIsMuchSmaller) {
    const auto records = workload(400, 1);
    StackDeltaEncoder enc(kSp);
    const auto payload = encode_chunk(enc, records);
    EXPECT_EQ(count_type(payload, kRecordStackDelta), records.size());
    const auto plain = trimmed(records);
    EXPECT_LT(payload.size(), plain.size() / 3) << "a few changed blocks per sample, not the whole copy";

    std::vector<uint8_t> out;
    const auto r = expand_stack_deltas(StackLayouts(events()), payload, out);
    EXPECT_TRUE(r.expanded);
    EXPECT_EQ(r.dropped, 0u) << r.first_error;
    EXPECT_TRUE(r.stream_error.empty());
    EXPECT_EQ(out, plain);

    out.clear();
    const auto two = expand_stack_deltas(StackLayouts(two_events()), payload, out);
    EXPECT_EQ(two.dropped, 0u) << two.first_error;
    EXPECT_EQ(out, plain);
}

// Copies whose last block is cut by the copy's end, and copies as short as a delta gets
// (256 bytes: a cut first block, whole blocks, a cut last one; or four whole blocks).
// A reader may take a chunk a slice at a time: the slices join to exactly the whole
// expansion, each ends at a record boundary just past the size asked for, and the block
// tables carry over from one slice to the next.
TEST(StackDelta, ExpandsInSlicesThatJoinToTheWhole) {
    const auto records = workload(400, 5);
    StackDeltaEncoder enc(kSp);
    auto payload = encode_chunk(enc, records);
    // A broken tail: the slices end where the whole expansion does, with the same error.
    payload.insert(payload.end(), {1, 0, 0, 0, 0, 0, 4, 0});
    std::vector<uint8_t> whole;
    const auto all = expand_stack_deltas(StackLayouts(events()), payload, whole);
    ASSERT_FALSE(all.stream_error.empty());
    const StackLayouts layouts(events());
    for (size_t slice : {1u, 5000u, 64000u}) {
        StackDeltaExpander x(layouts, payload);
        ASSERT_TRUE(x.has_deltas());
        std::vector<uint8_t> joined, out;
        size_t slices = 0;
        while (x.next(out, slice)) {
            ++slices;
            ASSERT_TRUE(for_each_record(out, [](const perf_event_header&, std::span<const uint8_t>) {}).ok());
            if (!x.done()) {
                EXPECT_GE(out.size(), slice);
                EXPECT_LT(out.size(), slice + 0xffff) << "a slice ends with the record that fills it";
            }
            joined.insert(joined.end(), out.begin(), out.end());
        }
        EXPECT_TRUE(x.done());
        EXPECT_GT(slices, slice == 1 ? records.size() - 1 : 2u) << slice;
        EXPECT_EQ(joined, whole) << "slice " << slice;
        EXPECT_EQ(x.result().dropped, 0u) << x.result().first_error;
        EXPECT_EQ(x.result().stream_error, all.stream_error);
        EXPECT_FALSE(x.next(out, slice)) << "nothing left";
    }
}

TEST(StackDelta, BlocksCutByEitherEndOfTheCopyRoundTrip) {
    for (uint64_t top_offset : {8u, 24u, 40u, 56u}) {
        auto records = workload(300, 7 + static_cast<unsigned>(top_offset), top_offset);
        std::vector<uint8_t> shortest(256);
        for (size_t i = 0; i < shortest.size(); ++i) shortest[i] = static_cast<uint8_t>(i * 13);
        records.push_back(sample(9, 0x7ffc00000040, shortest));  // aligned: four whole blocks
        records.push_back(sample(9, 0x7ffc00000040, shortest));  // again: all four from the table
        records.push_back(sample(9, 0x7ffc00000068, shortest));  // cut at both ends
        shortest[100] ^= 0xff;
        records.push_back(sample(9, 0x7ffc00000068, shortest));  // again, one middle block changed
        StackDeltaEncoder enc(kSp);
        const auto payload = encode_chunk(enc, records);
        EXPECT_EQ(count_type(payload, kRecordStackDelta), records.size());
        std::vector<uint8_t> out;
        const auto r = expand_stack_deltas(StackLayouts(events()), payload, out);
        EXPECT_EQ(r.dropped, 0u) << r.first_error;
        EXPECT_EQ(out, trimmed(records)) << "top offset " << top_offset;
    }
}

TEST(StackDelta, EveryChunkDecodesOnItsOwn) {
    const auto records = workload(200, 2);
    StackDeltaEncoder enc(kSp);
    const std::vector<std::vector<uint8_t>> first(records.begin(), records.begin() + 100);
    const std::vector<std::vector<uint8_t>> second(records.begin() + 100, records.end());
    (void)encode_chunk(enc, first);
    enc.reset();
    const auto payload = encode_chunk(enc, second);
    std::vector<uint8_t> out;
    const auto r = expand_stack_deltas(StackLayouts(events()), payload, out);
    EXPECT_EQ(r.dropped, 0u) << r.first_error;
    EXPECT_EQ(out, trimmed(second));
}

TEST(StackDelta, FullEmptyAndOtherRecordsSurvive) {
    std::vector<uint8_t> full(kCopy), partial(300), small(100, 0x44);
    for (size_t i = 0; i < full.size(); ++i) full[i] = static_cast<uint8_t>(i * 7);
    for (size_t i = 0; i < partial.size(); ++i) partial[i] = static_cast<uint8_t>(i);
    std::vector<std::vector<uint8_t>> records = {
        sample(5, 0x7ffc00000000, full),               // dyn_size == size: the copy ran into the limit
        sample(5, 0x7ffc00000000, full, 3),            // same again: every whole block from the table
        sample(5, 0x7ffc00000000 + kCopy - 300, partial),  // shallower
        sample(5, 0x7ffc00000000 + kCopy - 100, small, 9, 0),  // under 256 bytes: a plain sample
        sample(5, 0x7ffc00000000 + 1, {}, 9, 0),       // no stack bytes at all: stays a plain sample
    };
    ByteWriter comm;  // a non-sample record passes through untouched
    comm.u32(PERF_RECORD_COMM);
    comm.u16(0);
    comm.u16(24);
    comm.u32(5);
    comm.u32(5);
    comm.raw("name\0\0\0", 8);
    records.push_back(comm.take());
    StackDeltaEncoder enc(kSp);
    const auto payload = encode_chunk(enc, records);
    EXPECT_EQ(count_type(payload, kRecordStackDelta), 3u);
    std::vector<uint8_t> out;
    const auto r = expand_stack_deltas(StackLayouts(events()), payload, out);
    EXPECT_EQ(r.dropped, 0u) << r.first_error;
    EXPECT_EQ(out, trimmed(records));
}

TEST(StackDelta, PayloadsWithoutDeltasAreLeftAlone) {
    const auto plain = trimmed(workload(5, 3));
    std::vector<uint8_t> out{1, 2, 3};
    EXPECT_FALSE(expand_stack_deltas(StackLayouts(events()), plain, out).expanded);
    EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(StackDelta, UndecodableDeltasAreDroppedWithAReason) {
    std::vector<uint8_t> stack(512, 0x11);
    const std::vector<std::vector<uint8_t>> records = {sample(7, 0x7ffc00000000, stack),
                                                       sample(7, 0x7ffc00000000, stack, 4)};
    StackDeltaEncoder enc(kSp);
    const auto payload = encode_chunk(enc, records);
    // The second delta refers to blocks only the first one carried: without it, it cannot decode.
    perf_event_header h;
    std::memcpy(&h, payload.data(), sizeof h);
    const std::span<const uint8_t> second = std::span(payload).subspan(h.size);
    std::vector<uint8_t> out;
    auto r = expand_stack_deltas(StackLayouts(events()), second, out);
    EXPECT_EQ(r.dropped, 1u);
    EXPECT_NE(r.first_error.find("not seen in this chunk"), std::string::npos) << r.first_error;
    EXPECT_TRUE(out.empty());

    expect_damage_survived(StackLayouts(events()), payload);
    // A delta of an event the header does not list as copying stacks.
    r = expand_stack_deltas(StackLayouts(), payload, out);
    EXPECT_EQ(r.dropped, 2u);
}

TEST(StackDelta, SamplesWithoutRegistersOrStacksArePlainTrimmedCopies) {
    std::vector<uint8_t> stack(64, 0x22);
    auto rec = sample(8, 0x7ffc00000000, stack);
    StackDeltaEncoder no_sp(40);  // a register the mask does not hold: no stack pointer
    std::vector<uint8_t> out(rec.size() + StackDeltaEncoder::kSlack);
    out.resize(no_sp.encode(layout(), rec, out.data()));
    EXPECT_EQ(out, trimmed({rec}));
}
