// The compact kernel-symbol layouts (KALLSYMS_COMPACT, and KALLSYMS_FOLDED with "__pfx_"
// symbols folded): round trips (in and out of address order), sizes, and decoding truncated,
// corrupt and hostile bytes.
#include "formats/kallsyms_compact.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
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

// Functions each padded by a "__pfx_" symbol 16 bytes before them, as kernels built with
// function padding list them.
KernelSymbols padded_symbols(size_t n) {
    KernelSymbols s;
    uint64_t address = 0xffffffff81000000;
    for (size_t i = 0; i < n; ++i) {
        address += 64;
        const std::string name = "function_" + std::to_string(i);
        const char type = i % 2 ? 't' : 'T';
        const std::string module = i >= n / 2 ? "mod" : "";
        s.symbols.push_back({address - 16, type, "__pfx_" + name, module});
        s.symbols.push_back({address, type, name, module});
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
    const auto compact = encode_compact(in, false);
    auto out = decode_kernel_symbols_compact(compact, false);
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
    for (bool folded : {false, true}) {
        auto out = decode_kernel_symbols_compact(encode_compact(in, folded), folded);
        ASSERT_TRUE(out.ok()) << out.error().message;
        expect_same(in, *out);
        auto empty = decode_kernel_symbols_compact(encode_compact(KernelSymbols{}, folded), folded);
        ASSERT_TRUE(empty.ok());
        EXPECT_TRUE(empty->symbols.empty());
    }
}

TEST(KallsymsCompact, PaddingPrefixesFoldIntoTheirFunctionAndComeBack) {
    const KernelSymbols padded = padded_symbols(500);
    const auto folded = encode_compact(padded, true);
    auto out = decode_kallsyms_chunk(ChunkType::kKallsymsFolded, folded);
    ASSERT_TRUE(out.ok()) << out.error().message;
    expect_same(padded, *out);
    // Each prefix costs one byte (the gap) instead of an entry and a name of its own.
    KernelSymbols functions;
    for (const auto& sym : padded.symbols)
        if (!sym.name.starts_with("__pfx_")) functions.symbols.push_back(sym);
    EXPECT_EQ(folded.size(), encode_compact(functions, true).size() + functions.symbols.size());
    EXPECT_LT(folded.size(), encode_compact(padded, false).size() * 6 / 10);

    KernelSymbolsEncoder counted;
    for (const auto& sym : padded.symbols) counted.add(sym.address, sym.type, sym.name, sym.module);
    EXPECT_EQ(counted.count(), padded.symbols.size());
}

TEST(KallsymsCompact, PrefixesThatDoNotPadTheNextSymbolStayAsTheyAre) {
    KernelSymbols in;
    in.symbols = {{0x100, 't', "__pfx_a", ""},  {0x110, 't', "b", ""},           // another function follows
                  {0x200, 't', "__pfx_c", ""},  {0x210, 'T', "c", ""},           // another type
                  {0x300, 't', "__pfx_d", "m"}, {0x310, 't', "d", "n"},          // another module
                  {0x400, 't', "__pfx_e", ""},  {0x400, 't', "e", ""},           // no gap
                  {0x500, 't', "__pfx_", ""},   {0x510, 't', "", ""},            // nothing after the prefix
                  {0x600, 't', "__pfx___pfx_f", ""}, {0x608, 't', "__pfx_f", ""}, {0x610, 't', "f", ""},
                  {0x700, 't', "__pfx_g", ""},  {0x710, 't', "g", ""},           // folds: 0x10 apart
                  {0x800, 't', "__pfx_last", ""}};                                  // the last symbol
    const auto folded = encode_compact(in, true);
    auto out = decode_kernel_symbols_compact(folded, true);
    ASSERT_TRUE(out.ok()) << out.error().message;
    expect_same(in, *out);
    // Only two fold: "__pfx___pfx_f" into "__pfx_f" (8 bytes apart), and "__pfx_g" into g.
    uint32_t entries = 0;
    std::memcpy(&entries, folded.data() + 4, 4);
    EXPECT_EQ(entries, in.symbols.size() - 2);
}

TEST(KallsymsCompact, CompactChunksKnowNoFolding) {
    // Two symbols; the second's type byte has the bit that KALLSYMS_FOLDED reads as a fold.
    const std::vector<uint8_t> v1{1, 0, 0, 0, 2, 0, 0, 0, 0x10, 'T', 1, 'a', 0, 0x10, 0xd4, 1, 'b', 1, 'm'};
    auto out = decode_kallsyms_chunk(ChunkType::kKallsymsCompact, v1);
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(out->symbols.size(), 2u);
    EXPECT_EQ(out->symbols[0].address, 0x10u);
    EXPECT_EQ(out->symbols[0].name, "a");
    EXPECT_EQ(out->symbols[1].address, 0x20u);
    EXPECT_EQ(static_cast<uint8_t>(out->symbols[1].type), 0xd4);
    EXPECT_EQ(out->symbols[1].module, "m");
    // Read as folded, the same bytes lack the gap after "m".
    auto as_folded = decode_kallsyms_chunk(ChunkType::kKallsymsFolded, v1);
    ASSERT_FALSE(as_folded.ok());
    EXPECT_NE(as_folded.error().message.find("kernel symbols (folded): truncated"), std::string::npos)
        << as_folded.error().message;
}

TEST(KallsymsCompact, EveryTruncationIsAnError) {
    auto symbols = many_symbols(20);
    for (auto& sym : padded_symbols(5).symbols) symbols.symbols.push_back(sym);  // folded entries end in a gap
    for (bool folded : {false, true}) {
        const auto bytes = encode_compact(symbols, folded);
        for (size_t n = 0; n < bytes.size(); ++n) {
            auto out = decode_kernel_symbols_compact({bytes.data(), n}, folded);
            ASSERT_FALSE(out.ok()) << "accepted " << n << " of " << bytes.size() << " bytes";
            EXPECT_NE(out.error().message.find(folded ? "kernel symbols (folded)" : "kernel symbols (compact)"),
                      std::string::npos)
                << out.error().message;
        }
    }
}

TEST(KallsymsCompact, CorruptCountsLengthsAndVersions) {
    auto bytes = encode_compact(many_symbols(3), false);
    auto with = [&](size_t at, std::vector<uint8_t> patch) {
        auto b = bytes;
        for (size_t i = 0; i < patch.size(); ++i) b[at + i] = patch[i];
        return decode_kernel_symbols_compact(b, false);
    };
    auto version = with(0, {9, 0, 0, 0});
    ASSERT_FALSE(version.ok());
    EXPECT_NE(version.error().message.find("unknown layout version 9"), std::string::npos) << version.error().message;
    auto count = with(4, {0xff, 0xff, 0xff, 0x7f});
    ASSERT_FALSE(count.ok());
    EXPECT_NE(count.error().message.find("cannot fit"), std::string::npos) << count.error().message;

    // A name length far past the end, and a delta that never ends.
    std::vector<uint8_t> hostile{1, 0, 0, 0, 1, 0, 0, 0, 0x01, 'T', 0xff, 0xff, 0xff, 0xff, 0x0f};
    auto long_name = decode_kernel_symbols_compact(hostile, false);
    ASSERT_FALSE(long_name.ok());
    EXPECT_NE(long_name.error().message.find("truncated"), std::string::npos) << long_name.error().message;
    std::vector<uint8_t> endless{1, 0, 0, 0, 1, 0, 0, 0};
    endless.insert(endless.end(), 12, 0x80);
    auto overlong = decode_kernel_symbols_compact(endless, true);
    ASSERT_FALSE(overlong.ok());
    EXPECT_NE(overlong.error().message.find("longer than 10 bytes"), std::string::npos) << overlong.error().message;
}
