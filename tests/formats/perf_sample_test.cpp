// Parsing raw perf records exactly as the kernel lays them out.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "formats/byte_io.h"
#include "formats/perf_sample.h"
#include "formats/record_expansion.h"

using namespace kiln;
using namespace kiln::format;

namespace {

SampleLayout dwarf_layout() {
    perf_event_attr a{};
    a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                    PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
                    PERF_SAMPLE_STACK_USER;
    a.sample_regs_user = 0x7;  // three registers
    a.sample_id_all = 1;
    return SampleLayout::from_attr(a);
}

std::vector<uint8_t> dwarf_sample() {
    ByteWriter w;
    w.u32(PERF_RECORD_SAMPLE);
    w.u16(0);
    w.u16(0);  // size patched below
    w.u64(77);              // identifier
    w.u64(0x401000);        // ip
    w.u32(100);             // pid
    w.u32(101);             // tid
    w.u64(5555);            // time
    w.u32(1);               // cpu
    w.u32(0);
    w.u64(1000000);         // period
    w.u64(3);               // callchain nr
    w.u64(PERF_CONTEXT_USER);
    w.u64(0x401000);
    w.u64(0x402000);
    w.u64(2);               // abi 64
    w.u64(10);
    w.u64(11);
    w.u64(12);
    w.u64(16);              // stack size
    for (int i = 0; i < 16; ++i) w.u8(static_cast<uint8_t>(i));
    w.u64(12);              // dyn size
    auto bytes = w.take();
    set_record_header(bytes.data(), PERF_RECORD_SAMPLE, bytes.size());
    return bytes;
}

}  // namespace

TEST(PerfSample, ParsesEveryField) {
    auto rec = dwarf_sample();
    auto s = parse_sample(dwarf_layout(), rec);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->id, 77u);
    EXPECT_EQ(s->ip, 0x401000u);
    EXPECT_EQ(s->pid, 100u);
    EXPECT_EQ(s->tid, 101u);
    EXPECT_EQ(s->time, 5555u);
    EXPECT_EQ(s->cpu, 1u);
    EXPECT_EQ(s->period, 1000000u);
    ASSERT_EQ(s->callchain_size(), 3u);
    EXPECT_EQ(s->callchain_at(2), 0x402000u);
    EXPECT_EQ(s->regs_abi, 2u);
    ASSERT_EQ(s->regs.size(), 24u);
    EXPECT_EQ(s->reg_at(2), 12u);
    EXPECT_EQ(s->stack.size(), 12u);  // dyn_size, not the reserved size
    EXPECT_EQ(record_identifier(rec), 77u);
}

TEST(PerfSample, EveryTruncationFails) {
    auto rec = dwarf_sample();
    for (size_t n = 0; n < rec.size(); ++n)
        EXPECT_FALSE(parse_sample(dwarf_layout(), std::span<const uint8_t>(rec.data(), n)).ok()) << n;
}

TEST(PerfSample, HugeCallchainCountFails) {
    auto rec = dwarf_sample();
    uint64_t nr = 1ull << 60;
    std::memcpy(rec.data() + 8 + 8 + 8 + 8 + 8 + 8 + 8, &nr, 8);
    auto s = parse_sample(dwarf_layout(), rec);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("callchain"), std::string::npos);
}

TEST(PerfSample, SampleIdTrailer) {
    auto layout = dwarf_layout();
    EXPECT_EQ(layout.id_trailer_size(), 32u);  // tid, time, cpu, identifier
    ByteWriter w;
    w.u32(PERF_RECORD_COMM);
    w.u16(0);
    w.u16(8 + 8 + 8 + 32);
    w.u32(5);
    w.u32(6);
    w.raw("abcdefg", 8);
    w.u32(5);
    w.u32(6);
    w.u64(999);
    w.u32(3);
    w.u32(0);
    w.u64(42);
    auto rec = w.take();
    auto id = parse_sample_id(layout, rec);
    ASSERT_TRUE(id.present);
    EXPECT_EQ(id.pid, 5u);
    EXPECT_EQ(id.tid, 6u);
    EXPECT_EQ(id.time, 999u);
    EXPECT_EQ(id.cpu, 3u);
    EXPECT_EQ(id.id, 42u);
    EXPECT_EQ(record_identifier(rec), 42u);
}

TEST(PerfSample, RecordWalkStopsAtImpossibleSizes) {
    auto rec = dwarf_sample();
    std::vector<uint8_t> stream = rec;
    stream.insert(stream.end(), rec.begin(), rec.end());
    int n = 0;
    ASSERT_TRUE(for_each_record(stream, [&](const perf_event_header&, std::span<const uint8_t>) { ++n; }).ok());
    EXPECT_EQ(n, 2);
    uint16_t bad = 4;  // smaller than a header
    std::memcpy(stream.data() + rec.size() + 6, &bad, 2);
    n = 0;
    EXPECT_FALSE(for_each_record(stream, [&](const perf_event_header&, std::span<const uint8_t>) { ++n; }).ok());
    EXPECT_EQ(n, 1);
}

namespace {
// A dwarf sample whose 64-byte stack copy holds `dyn` used bytes, followed by a weight field.
std::vector<uint8_t> sample_with_stack(uint64_t dyn) {
    ByteWriter w;
    w.u32(PERF_RECORD_SAMPLE);
    w.u16(0);
    w.u16(0);
    w.u64(77);        // identifier
    w.u64(0x401000);  // ip
    w.u32(100);
    w.u32(101);
    w.u64(5555);  // time
    w.u32(1);
    w.u32(0);
    w.u64(1000000);  // period
    w.u64(0);        // callchain nr
    w.u64(2);        // abi
    w.u64(10);
    w.u64(11);
    w.u64(12);
    w.u64(64);  // stack size
    for (int i = 0; i < 64; ++i) w.u8(static_cast<uint8_t>(i));
    w.u64(dyn);
    w.u64(4242);  // weight
    auto bytes = w.take();
    set_record_header(bytes.data(), PERF_RECORD_SAMPLE, bytes.size());
    return bytes;
}
SampleLayout weighted_dwarf_layout() {
    SampleLayout l = dwarf_layout();
    l.sample_type |= PERF_SAMPLE_WEIGHT;
    return l;
}
}  // namespace

namespace {
// copy_trimmed_sample into a fresh buffer, which then replaces rec; returns the new length.
size_t trim(std::vector<uint8_t>& rec) {
    std::vector<uint8_t> out(rec.size());
    out.resize(copy_trimmed_sample(weighted_dwarf_layout(), rec, out.data()));
    rec = std::move(out);
    return rec.size();
}
}  // namespace

TEST(PerfSample, TrimUserStackKeepsTheUsedBytesAndWhatFollows) {
    auto rec = sample_with_stack(12);
    const size_t before = rec.size();
    const size_t after = trim(rec);
    EXPECT_EQ(after, before - (64 - 16));  // 12 used bytes kept as 16
    rec.resize(after);
    auto s = parse_sample(weighted_dwarf_layout(), rec);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(s->stack.size(), 12u);
    for (size_t i = 0; i < 12; ++i) EXPECT_EQ(s->stack[i], i);
    EXPECT_EQ(s->reg_at(2), 12u);
    uint64_t weight;
    std::memcpy(&weight, rec.data() + rec.size() - 8, 8);
    EXPECT_EQ(weight, 4242u);
    perf_event_header h;
    std::memcpy(&h, rec.data(), sizeof h);
    EXPECT_EQ(h.size, after);
}

TEST(PerfSample, CopyTrimmedSampleCutsTheCopyAtItsRoundedDynSize) {
    for (uint64_t dyn : {0u, 12u, 40u, 64u}) {
        const auto source = sample_with_stack(dyn);
        // Expected, byte by byte: everything up to the copy, its first `keep` bytes, then
        // dyn_size and the weight; the copy's size word and the header length say `keep`.
        auto parsed = parse_sample(weighted_dwarf_layout(), source);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        const size_t data_at = static_cast<size_t>(parsed->stack.data() - source.data());
        const uint64_t keep = std::max<uint64_t>(8, (dyn + 7) & ~uint64_t{7});
        std::vector<uint8_t> expected(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(data_at + keep));
        expected.insert(expected.end(), source.begin() + static_cast<std::ptrdiff_t>(data_at + 64), source.end());
        std::memcpy(expected.data() + data_at - 8, &keep, 8);
        set_record_header(expected.data(), PERF_RECORD_SAMPLE, expected.size());

        std::vector<uint8_t> copied(source.size(), 0xee);
        const size_t n = copy_trimmed_sample(weighted_dwarf_layout(), source, copied.data());
        copied.resize(n);
        EXPECT_EQ(copied, expected) << "dyn_size " << dyn;
        std::vector<uint8_t> from_parsed(source.size(), 0xee);
        from_parsed.resize(copy_trimmed_sample(*parsed, source, from_parsed.data()));
        EXPECT_EQ(from_parsed, expected) << "dyn_size " << dyn << ", already parsed";
        if (dyn < 56) {
            EXPECT_LT(n, source.size()) << "dyn_size " << dyn;
        }
    }
    // A record that does not parse is copied whole.
    auto torn = sample_with_stack(12);
    torn.resize(40);
    std::vector<uint8_t> out(40);
    EXPECT_EQ(copy_trimmed_sample(weighted_dwarf_layout(), torn, out.data()), 40u);
    EXPECT_EQ(out, torn);
}

TEST(PerfSample, TrimUserStackLeavesFullOrEmptyCopiesValid) {
    auto full = sample_with_stack(64);
    const size_t full_size = full.size();
    EXPECT_EQ(trim(full), full_size);
    auto empty = sample_with_stack(0);  // keeps 8 bytes: a size of 0 would drop dyn_size
    const size_t n = trim(empty);
    empty.resize(n);
    auto s = parse_sample(weighted_dwarf_layout(), empty);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->stack.size(), 0u);
    // A record that does not parse is left alone.
    auto torn = sample_with_stack(12);
    torn.resize(40);
    EXPECT_EQ(trim(torn), 40u);
}
