#include "formats/kallsyms_subset.h"

#include <algorithm>
#include <string>

#include "formats/byte_cursor.h"
#include "formats/byte_io.h"
#include "formats/kallsyms_compact.h"

namespace kiln::format {

namespace {
constexpr uint32_t kRefLayoutVersion = 1;
}  // namespace

std::vector<uint8_t> encode_kallsyms_ref(const KallsymsRef& ref) {
    ByteWriter w;
    w.u32(kRefLayoutVersion);
    w.u64(ref.raw_size);
    w.u64(ref.raw_hash);
    w.u32(static_cast<uint32_t>(ref.level));
    w.u64(ref.generation);
    w.u32(ref.count);
    return w.take();
}

Result<KallsymsRef> decode_kallsyms_ref(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "kernel symbols reference");
    const uint32_t version = r.u32();
    if (r.failed()) return r.error();
    if (version != kRefLayoutVersion)
        return make_error("kernel symbols reference: layout version " + std::to_string(version) + " is not known");
    KallsymsRef ref;
    ref.raw_size = r.u64();
    ref.raw_hash = r.u64();
    ref.level = r.i32();
    ref.generation = r.u64();
    ref.count = r.u32();
    if (r.failed()) return r.error();
    return ref;
}

Result<LargeBytes> kernel_symbols_touched(std::span<const uint8_t> whole, std::span<const uint64_t> addresses,
                                          size_t* count) {
    // Two passes over the table, copying no name but the kept ones (a 120,000-symbol table is
    // decoded twice in a few ms; copying every name would cost more). The first collects the
    // distinct symbol addresses. A group (the symbols of one address, aliases kept together) is
    // kept when an address lies in [its address, the next group's), and so is that next group,
    // which bounds it. The second pass writes the symbols of the kept groups.
    std::vector<uint64_t> starts;
    Status st = for_each_kernel_symbol(ChunkType::kKallsymsFolded, whole, [&](const KernelSymbolView& s) {
        if (starts.empty() || starts.back() != s.address) starts.push_back(s.address);
    });
    if (!st) return st.error();
    std::sort(starts.begin(), starts.end());  // stored in address order; sorted for safety
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    std::vector<uint64_t> kept_starts;
    const auto keep_holder_of = [&](uint64_t a) {
        auto it = std::upper_bound(starts.begin(), starts.end(), a);
        if (it == starts.begin()) return;  // below every symbol
        kept_starts.push_back(*std::prev(it));
        if (it != starts.end()) kept_starts.push_back(*it);
    };
    for (uint64_t a : addresses) {
        keep_holder_of(a);
        // A caller's frame is named by its return address - 1 (the call instruction). A return
        // address can be a function's first byte (after a call that does not return, or
        // an SRSO return thunk's), and then a - 1 lies in the symbol before it (the "__pfx_").
        if (a > 0) keep_holder_of(a - 1);
    }
    std::sort(kept_starts.begin(), kept_starts.end());
    kept_starts.erase(std::unique(kept_starts.begin(), kept_starts.end()), kept_starts.end());
    KernelSymbolsEncoder out;
    size_t kept = 0;
    st = for_each_kernel_symbol(ChunkType::kKallsymsFolded, whole, [&](const KernelSymbolView& s) {
        if (!std::binary_search(kept_starts.begin(), kept_starts.end(), s.address)) return;
        out.add(s.address, s.type, s.name, s.module);
        ++kept;
    });
    if (!st) return st.error();
    if (count) *count = kept;
    return out.finish();
}

}  // namespace kiln::format
