// The compact kernel-symbol layout: round trips (in and out of address order), its size
// against KALLSYMS, and decoding truncated, corrupt and hostile bytes.
#include "formats/kallsyms_compact.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace kiln;
using namespace kiln::format;

namespace {

KernelSymbols many_symbols(size_t n) {
    KernelSymbols s;
    uint64_t address = 0xffffffff81000000;
    for (size_t i = 0; i < n; ++i) {
        address += 16 + (i % 7) * 48;
        s.symbols.push_back({address, i % 3 ? 't' : 'T', "function_" + std::to_string(i),
                             i > n - n / 4 ? "some_module" : ""});
    }
    return s;
}

void expect_same(const KernelSymbols& a, const KernelSymbols& b) {
    ASSERT_EQ(a.symbols.size(), b.symbols.size());
    for (size_t i = 0; i < a.symbols.size(); ++i) {
        EXPECT_EQ(a.symbols[i].address, b.symbols[i].address) << i;
        EXPECT_EQ(a.symbols[i].type, b.symbols[i].type) << i;
        EXPECT_EQ(a.symbols[i].name, b.symbols[i].name) << i;
        EXPECT_EQ(a.symbols[i].module, b.symbols[i].module) << i;
    }
}

}  // namespace

TEST(KallsymsCompact, RoundTripAndSmallerThanKallsyms) {
    const KernelSymbols in = many_symbols(1000);
    const auto compact = encode_compact(in);
    auto out = decode_kernel_symbols_compact(compact);
    ASSERT_TRUE(out.ok()) << out.error().message;
    expect_same(in, *out);
    // Per symbol the fixed part shrinks from 17 bytes (u64, u8, two u32 lengths) to 5 here.
    EXPECT_LT(compact.size(), encode(in).size() * 3 / 4);
    auto either = decode_kallsyms_chunk(ChunkType::kKallsymsCompact, compact);
    ASSERT_TRUE(either.ok());
    EXPECT_EQ(either->symbols.size(), 1000u);
    auto old = decode_kallsyms_chunk(ChunkType::kKallsyms, encode(in));
    ASSERT_TRUE(old.ok()) << old.error().message;
    expect_same(in, *old);
}

TEST(KallsymsCompact, AddressesOutOfOrderAndExtremesRoundTrip) {
    KernelSymbols in;
    in.symbols = {{0xffffffffc0001000, 't', "late", "mod"},
                  {0x10, 'T', "low", ""},
                  {~0ull, 'W', "top", ""},
                  {0, 'w', "zero", ""},
                  {0x1234, 't', "", ""}};
    auto out = decode_kernel_symbols_compact(encode_compact(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    expect_same(in, *out);
    auto empty = decode_kernel_symbols_compact(encode_compact(KernelSymbols{}));
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->symbols.empty());
}

TEST(KallsymsCompact, EveryTruncationIsAnError) {
    const auto bytes = encode_compact(many_symbols(20));
    for (size_t n = 0; n < bytes.size(); ++n) {
        auto out = decode_kernel_symbols_compact({bytes.data(), n});
        ASSERT_FALSE(out.ok()) << "accepted " << n << " of " << bytes.size() << " bytes";
        EXPECT_NE(out.error().message.find("kernel symbols (compact)"), std::string::npos) << out.error().message;
    }
}

TEST(KallsymsCompact, CorruptCountsLengthsAndVersions) {
    auto bytes = encode_compact(many_symbols(3));
    auto with = [&](size_t at, std::vector<uint8_t> patch) {
        auto b = bytes;
        for (size_t i = 0; i < patch.size(); ++i) b[at + i] = patch[i];
        return decode_kernel_symbols_compact(b);
    };
    auto version = with(0, {9, 0, 0, 0});
    ASSERT_FALSE(version.ok());
    EXPECT_NE(version.error().message.find("unknown layout version 9"), std::string::npos) << version.error().message;
    auto count = with(4, {0xff, 0xff, 0xff, 0x7f});
    ASSERT_FALSE(count.ok());
    EXPECT_NE(count.error().message.find("cannot fit"), std::string::npos) << count.error().message;

    // A name length far past the end, and a delta that never ends.
    std::vector<uint8_t> hostile{1, 0, 0, 0, 1, 0, 0, 0, 0x01, 'T', 0xff, 0xff, 0xff, 0xff, 0x0f};
    auto long_name = decode_kernel_symbols_compact(hostile);
    ASSERT_FALSE(long_name.ok());
    EXPECT_NE(long_name.error().message.find("truncated"), std::string::npos) << long_name.error().message;
    std::vector<uint8_t> endless{1, 0, 0, 0, 1, 0, 0, 0};
    endless.insert(endless.end(), 12, 0x80);
    auto overlong = decode_kernel_symbols_compact(endless);
    ASSERT_FALSE(overlong.ok());
    EXPECT_NE(overlong.error().message.find("longer than 10 bytes"), std::string::npos) << overlong.error().message;
}
