// KALLSYMS_TOUCHED and KALLSYMS_REF: the symbols kept for a set of addresses resolve each of
// them, and each one's address - 1 (where a caller's frame is named), as the whole table does
// (aliases, "__pfx_" prefixes and module symbols included), far fewer are kept, and the
// reference round-trips.
#include "formats/kallsyms_subset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "formats/kallsyms_compact.h"

using namespace kiln::format;

namespace {

// The names at the greatest address <= a (aliases all), or {} below the first symbol.
std::set<std::string> names_at(const std::vector<KernelSymbol>& sorted, uint64_t a) {
    auto it = std::upper_bound(sorted.begin(), sorted.end(), a,
                               [](uint64_t x, const KernelSymbol& s) { return x < s.address; });
    if (it == sorted.begin()) return {};
    const uint64_t at = std::prev(it)->address;
    std::set<std::string> out;
    for (auto j = std::prev(it);; --j) {
        if (j->address != at) break;
        out.insert(j->name + "/" + j->module);
        if (j == sorted.begin()) break;
    }
    return out;
}

std::vector<KernelSymbol> decoded(ChunkType type, std::span<const uint8_t> payload) {
    auto s = decode_kallsyms_chunk(type, payload);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s ? s->symbols : std::vector<KernelSymbol>{};
}

}  // namespace

TEST(KallsymsTouched, EverySampledAddressResolvesAsInTheWholeTable) {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 20; ++round) {
        // A table like the kernel's: functions 16-4096 bytes apart, most with a __pfx_ symbol 16
        // bytes before them, some aliases, the last tenth in modules.
        KernelSymbolsEncoder enc;
        uint64_t a = 0xffffffff81000000ull;
        const int n = 2000;
        for (int i = 0; i < n; ++i) {
            const std::string mod = i > n * 9 / 10 ? "mod" + std::to_string(i % 3) : "";
            const std::string name = "f" + std::to_string(i);
            if (rng() % 4 != 0) enc.add(a - 16, 't', "__pfx_" + name, mod);
            enc.add(a, 'T', name, mod);
            if (rng() % 20 == 0) enc.add(a, 'T', name + "_alias", mod);
            a += 16 + rng() % 4096;
        }
        const LargeBytes whole = enc.finish();
        const std::vector<KernelSymbol> all = decoded(ChunkType::kKallsymsFolded, whole);
        // Addresses: some in symbols, some on their first byte, one below all, one past the last.
        std::set<uint64_t> picked{0xffffffff80000000ull, a + 100};
        for (int k = 0; k < 50; ++k) {
            const KernelSymbol& s = all[rng() % all.size()];
            picked.insert(s.address + (rng() % 2 ? 0 : rng() % 16));
        }
        const std::vector<uint64_t> addresses(picked.begin(), picked.end());
        size_t kept = 0;
        auto touched = kernel_symbols_touched(whole, addresses, &kept);
        ASSERT_TRUE(touched.ok()) << touched.error().message;
        const std::vector<KernelSymbol> some = decoded(ChunkType::kKallsymsTouched, *touched);
        EXPECT_EQ(some.size(), kept);
        EXPECT_LT(some.size(), all.size() / 5);
        for (uint64_t x : addresses) {
            EXPECT_EQ(names_at(some, x), names_at(all, x)) << std::hex << x;
            // A caller's frame is named at its return address - 1: on a symbol's first byte
            // that is the symbol before (its "__pfx_").
            EXPECT_EQ(names_at(some, x - 1), names_at(all, x - 1)) << std::hex << x << " - 1";
        }
    }
}

TEST(KallsymsTouched, NoAddressesKeepNothingAndACorruptTableIsAnError) {
    KernelSymbolsEncoder enc;
    enc.add(0xffffffff81000000ull, 'T', "a", "");
    enc.add(0xffffffff81000100ull, 'T', "b", "");
    const LargeBytes whole = enc.finish();
    auto none = kernel_symbols_touched(whole, {});
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(decoded(ChunkType::kKallsymsTouched, *none).empty());
    const std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<long>(whole.size() / 2));
    const uint64_t at[] = {0xffffffff81000100ull};
    EXPECT_FALSE(kernel_symbols_touched(cut, at).ok());
}

TEST(KallsymsRef, RoundTripsAndRejectsWhatItDoesNotKnow) {
    const KallsymsRef ref{1763133, 0x0123456789abcdefull, 1, 77, 121389};
    const auto bytes = encode_kallsyms_ref(ref);
    auto back = decode_kallsyms_ref(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->raw_size, ref.raw_size);
    EXPECT_EQ(back->raw_hash, ref.raw_hash);
    EXPECT_EQ(back->level, ref.level);
    EXPECT_EQ(back->generation, ref.generation);
    EXPECT_EQ(back->count, ref.count);
    EXPECT_FALSE(decode_kallsyms_ref(std::span(bytes).first(bytes.size() - 1)).ok());
    auto other = bytes;
    other[0] = 2;
    EXPECT_FALSE(decode_kallsyms_ref(other).ok());
}
