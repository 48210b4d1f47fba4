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
    // Symbols come in address order, in groups of one address (aliases). A group is kept when an
    // address lies in [its address, the next group's), and so is that next group, which bounds
    // it; aliases are kept together, so a lookup picks among the same names as in the whole.
    struct Symbol {
        uint64_t address;
        char type;
        std::string name, module;
    };
    KernelSymbolsEncoder out;
    size_t kept = 0;
    std::vector<Symbol> group;  // the current group, not yet decided
    bool group_added = false;   // added as the successor of a kept group
    size_t next = 0;            // first address not yet past
    auto add_group = [&] {
        for (const Symbol& g : group) out.add(g.address, g.type, g.name, g.module);
        kept += group.size();
    };
    // Called when a group ends at `end` (the next group's address, or none).
    auto close_group = [&](bool has_end, uint64_t end) {
        while (next < addresses.size() && addresses[next] < group.front().address) ++next;
        const bool hit = next < addresses.size() && (!has_end || addresses[next] < end);
        while (next < addresses.size() && (!has_end || addresses[next] < end)) ++next;
        if (hit && !group_added) add_group();
        return hit;
    };
    Status st = for_each_kernel_symbol(ChunkType::kKallsymsFolded, whole, [&](const KernelSymbolView& s) {
        if (!group.empty() && s.address == group.front().address) {
            group.push_back({s.address, s.type, std::string(s.name), std::string(s.module)});
            if (group_added) {  // a successor group is kept whole
                out.add(s.address, s.type, s.name, s.module);
                ++kept;
            }
            return;
        }
        const bool successor = !group.empty() && close_group(true, s.address);
        group.assign(1, Symbol{s.address, s.type, std::string(s.name), std::string(s.module)});
        group_added = successor;
        if (successor) add_group();
    });
    if (!st) return st.error();
    if (!group.empty()) close_group(false, 0);
    if (count) *count = kept;
    return out.finish();
}

}  // namespace kiln::format
