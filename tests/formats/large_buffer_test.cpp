// Large buffers: mapped whole huge pages, 2 MiB-aligned, from the threshold up; small ones from
// malloc; vectors of them grow, copy and free like any vector.
#include "formats/large_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

using namespace kiln::format;

namespace {

bool mapped_with_huge_page_advice(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto at = reinterpret_cast<uintptr_t>(p);
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
            inside = lo <= at && at < hi;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line.find(" hg") != std::string::npos;
    }
    return false;
}

}  // namespace

TEST(LargeBuffer, MapsWholeAlignedHugePagesAdvisedAsSuch) {
    for (size_t bytes : {kLargeBufferMinBytes, kHugePageBytes, kHugePageBytes + 1, size_t{5} << 20}) {
        auto* p = static_cast<uint8_t*>(map_large_buffer(bytes));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageBytes, 0u) << bytes;
        // Every byte up to the whole huge pages is usable.
        const size_t whole = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
        std::memset(p, 0xab, whole);
        EXPECT_EQ(p[whole - 1], 0xab);
        EXPECT_TRUE(mapped_with_huge_page_advice(p)) << bytes;
        unmap_large_buffer(p, bytes);
    }
}

TEST(LargeBuffer, SmallBuffersComeFromMallocAndVectorsBehave) {
    LargeBytes small(100, 7);
    EXPECT_FALSE(mapped_with_huge_page_advice(small.data()));
    LargeBytes big;
    for (size_t i = 0; i < (3u << 20); ++i) big.push_back(static_cast<uint8_t>(i));  // grows across the threshold
    EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % kHugePageBytes, 0u);
    EXPECT_TRUE(mapped_with_huge_page_advice(big.data()));
    LargeBytes copy = big;
    EXPECT_EQ(copy, big);
    EXPECT_EQ(copy[(3u << 20) - 1], static_cast<uint8_t>((3u << 20) - 1));
    big = LargeBytes(10, 1);
    EXPECT_EQ(big.size(), 10u);
    auto ptr = make_large_buffer(kLargeBufferMinBytes * 2);
    ptr[kLargeBufferMinBytes * 2 - 1] = 1;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ptr.get()) % kHugePageBytes, 0u);
}
