// The allocation sampler's batches as the analyzer reads them from a uprobe's stack copy: what
// the sampler writes (alloc_sample_batch_layout.h) comes back field for field, and a copy that
// is cut, from another kiln, or damaged is an error, never a read past its end.
#include "formats/alloc_sample_batch.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::format;

namespace {

template <typename T>
void put(std::vector<uint8_t>& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof v);
    std::memcpy(out.data() + at, &v, sizeof v);
}

void put_record(std::vector<uint8_t>& out, uint8_t kind, uint64_t time, uint64_t addr, uint64_t size,
                const std::vector<uint64_t>& frames) {
    put<uint8_t>(out, kind);
    put<uint8_t>(out, static_cast<uint8_t>(frames.size()));
    put<uint16_t>(out, 0);
    put<uint32_t>(out, 0);
    put(out, time);
    put(out, addr);
    put(out, size);
    for (uint64_t f : frames) put(out, f);
}

// A stack copy as the uprobe takes it: return address, header, records, then what follows.
std::vector<uint8_t> stack_copy(const std::vector<uint8_t>& records, uint16_t count, uint16_t version = 1,
                                uint32_t magic = KILN_ALLOC_BATCH_MAGIC) {
    std::vector<uint8_t> out;
    put<uint64_t>(out, 0x7f0000001234);
    put(out, magic);
    put(out, version);
    put(out, count);
    put<uint32_t>(out, static_cast<uint32_t>(records.size()));
    put<uint32_t>(out, 4242);
    put<uint64_t>(out, 524288);
    out.insert(out.end(), records.begin(), records.end());
    out.resize(KILN_ALLOC_BATCH_STACK_BYTES, 0xee);  // the rest of the copied area
    return out;
}

}  // namespace

TEST(AllocSampleBatch, ReadsWhatTheSamplerWrites) {
    std::vector<uint8_t> records;
    put_record(records, KILN_ALLOC_RECORD_ALLOC, 1000, 0x5000, 4096, {0x7f00000a0000, 0x401234, 0x401100});
    put_record(records, KILN_ALLOC_RECORD_FREE, 2000, 0x5000, 0, {});
    auto b = decode_alloc_sample_batch(stack_copy(records, 2));
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->tid, 4242u);
    EXPECT_EQ(b->mean, 524288u);
    ASSERT_EQ(b->records.size(), 2u);
    EXPECT_EQ(b->records[0].kind, AllocSampleKind::kAlloc);
    EXPECT_EQ(b->records[0].time, 1000u);
    EXPECT_EQ(b->records[0].address, 0x5000u);
    EXPECT_EQ(b->records[0].size, 4096u);
    EXPECT_EQ(b->records[0].frames, (std::vector<uint64_t>{0x7f00000a0000, 0x401234, 0x401100}));
    EXPECT_EQ(b->records[1].kind, AllocSampleKind::kFree);
    EXPECT_EQ(b->records[1].time, 2000u);
    EXPECT_TRUE(b->records[1].frames.empty());
}

TEST(AllocSampleBatch, DamagedCopiesAreErrors) {
    std::vector<uint8_t> records;
    put_record(records, KILN_ALLOC_RECORD_ALLOC, 1, 0x5000, 64, {0x401234});
    const auto good = stack_copy(records, 1);
    ASSERT_TRUE(decode_alloc_sample_batch(good).ok());
    // Cut anywhere before the records end.
    for (size_t n : {size_t{0}, size_t{7}, size_t{20}, size_t{8 + 24 + 10}})
        EXPECT_FALSE(decode_alloc_sample_batch(std::span(good).first(n)).ok()) << n;
    EXPECT_FALSE(decode_alloc_sample_batch(stack_copy(records, 1, 1, 0x12345678)).ok());  // no header
    auto other = decode_alloc_sample_batch(stack_copy(records, 1, 2));
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message.find("version 2"), std::string::npos) << other.error().message;
    EXPECT_FALSE(decode_alloc_sample_batch(stack_copy(records, 2)).ok());  // more records than bytes
    EXPECT_FALSE(decode_alloc_sample_batch(stack_copy(records, 0)).ok());  // bytes after the records
    std::vector<uint8_t> unknown;
    put_record(unknown, 7, 1, 0x5000, 64, {});
    EXPECT_FALSE(decode_alloc_sample_batch(stack_copy(unknown, 1)).ok());
    std::vector<uint8_t> deep;
    put_record(deep, KILN_ALLOC_RECORD_ALLOC, 1, 0x5000, 64, std::vector<uint64_t>(KILN_ALLOC_BATCH_MAX_FRAMES + 1, 0x401000));
    EXPECT_FALSE(decode_alloc_sample_batch(stack_copy(deep, 1)).ok());
    // A header that claims more record bytes than were copied.
    auto claims = good;
    const uint32_t huge = KILN_ALLOC_BATCH_RECORDS_BYTES + 8;
    std::memcpy(claims.data() + 8 + 8, &huge, 4);
    EXPECT_FALSE(decode_alloc_sample_batch(claims).ok());
}
