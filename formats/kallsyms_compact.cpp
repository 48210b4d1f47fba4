#include "formats/kallsyms_compact.h"

#include "formats/byte_cursor.h"
#include "formats/varint.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace kiln::format {

namespace {

constexpr uint32_t kLayoutVersion = 1;
constexpr size_t kMinSymbolSize = 4;  // delta, type, name length and module length: a byte each
constexpr uint8_t kFoldedPrefix = 0x80;  // KALLSYMS_FOLDED type flag: a "__pfx_" symbol precedes this one
constexpr std::string_view kPrefix = "__pfx_";

}  // namespace

KernelSymbolsEncoder::KernelSymbolsEncoder(size_t reserve_bytes, bool fold_prefixes) : fold_(fold_prefixes) {
    buf_.reserve(reserve_bytes + 8);
    uint8_t* p = room(8);
    std::memcpy(p, &kLayoutVersion, 4);
    std::memset(p + 4, 0, 4);  // the entry count, set by finish()
    size_ = 8;
}

uint8_t* KernelSymbolsEncoder::room(size_t n) {
    if (buf_.size() - size_ < n) {
        // Grown in 256 KiB steps within the reserved capacity: a page is zeroed (and faulted
        // in) only just before it is written, never the whole reserve at once.
        constexpr size_t kStep = 256 << 10;
        buf_.resize((size_ + n + kStep - 1) / kStep * kStep);
    }
    return buf_.data() + size_;
}

void KernelSymbolsEncoder::add(uint64_t address, char type, std::string_view name, std::string_view module) {
    ++count_;
    if (!fold_) {
        put_entry(address, static_cast<uint8_t>(type), name, module);
        return;
    }
    // The kernel's types are letters; a byte with the flag bit could not be told from a fold.
    type = static_cast<char>(static_cast<uint8_t>(type) & static_cast<uint8_t>(~kFoldedPrefix));
    if (has_pending_) {
        has_pending_ = false;
        const bool folds = type == pending_type_ && module == pending_module_ && address > pending_address_ &&
                           name == std::string_view(pending_name_).substr(kPrefix.size());
        if (folds) {
            put_entry(address, static_cast<uint8_t>(type) | kFoldedPrefix, name, module);
            size_ = static_cast<size_t>(put_uleb(buf_.data() + size_, address - pending_address_) - buf_.data());
            return;
        }
        put_entry(pending_address_, static_cast<uint8_t>(pending_type_), pending_name_, pending_module_);
    }
    // Held back until the next symbol shows whether it is the function this prefix pads.
    if (name.starts_with(kPrefix) && name.size() > kPrefix.size()) {
        has_pending_ = true;
        pending_address_ = address;
        pending_type_ = type;
        pending_name_.assign(name);
        pending_module_.assign(module);
        return;
    }
    put_entry(address, static_cast<uint8_t>(type), name, module);
}

void KernelSymbolsEncoder::put_entry(uint64_t address, uint8_t type, std::string_view name, std::string_view module) {
    // Written through a pointer: per-byte push_back and insert were most of the encoding cost.
    uint8_t* p = room(10 + 1 + 10 + name.size() + 10 + module.size() + 10);  // + 10: a fold's gap
    p = put_uleb(p, address - last_address_);
    last_address_ = address;
    *p++ = type;
    p = put_uleb(p, name.size());
    if (!name.empty()) std::memcpy(p, name.data(), name.size());
    p += name.size();
    p = put_uleb(p, module.size());
    if (!module.empty()) std::memcpy(p, module.data(), module.size());
    p += module.size();
    size_ = static_cast<size_t>(p - buf_.data());
    ++entries_;
}

LargeBytes KernelSymbolsEncoder::finish() {
    if (has_pending_) {
        has_pending_ = false;
        put_entry(pending_address_, static_cast<uint8_t>(pending_type_), pending_name_, pending_module_);
    }
    const auto n = static_cast<uint32_t>(entries_);
    std::memcpy(buf_.data() + 4, &n, 4);
    // Handed over, not copied: a copy of the 1.7 MB payload faulted in ~430 fresh pages, and a
    // page fault costs 10-15 us on the VMs kiln is benchmarked on.
    buf_.resize(size_);
    return std::move(buf_);
}

LargeBytes encode_compact(const KernelSymbols& s, bool fold_prefixes) {
    KernelSymbolsEncoder e(0, fold_prefixes);
    for (const auto& sym : s.symbols) e.add(sym.address, sym.type, sym.name, sym.module);
    return e.finish();
}

Status for_each_compact_kernel_symbol(std::span<const uint8_t> payload, bool folds, const KernelSymbolVisitor& visit) {
    ByteCursor c(payload, folds ? "kernel symbols (folded)" : "kernel symbols (compact)");
    const uint32_t version = c.u32();
    if (!c.failed() && version != kLayoutVersion)
        c.fail("unknown layout version " + std::to_string(version) + " (this kiln reads version " +
               std::to_string(kLayoutVersion) + "; the recording was written by another kiln)");
    const uint32_t n = c.count(kMinSymbolSize, "symbols");
    std::string prefixed;  // a folded prefix's name, alive for its visit only
    uint64_t address = 0;
    for (uint32_t i = 0; i < n && !c.failed(); ++i) {
        address += c.uleb();
        uint8_t type = c.u8();
        const std::string_view name = c.uleb_text();
        const std::string_view module = c.uleb_text();
        if (folds && (type & kFoldedPrefix)) {
            type &= static_cast<uint8_t>(~kFoldedPrefix);
            const uint64_t gap = c.uleb();
            if (c.failed()) break;
            prefixed.assign(kPrefix).append(name);
            visit(KernelSymbolView{address - gap, static_cast<char>(type), prefixed, module});
        }
        if (c.failed()) break;
        visit(KernelSymbolView{address, static_cast<char>(type), name, module});
    }
    if (c.failed()) return c.error();
    return {};
}

Result<KernelSymbols> decode_kernel_symbols_compact(std::span<const uint8_t> payload, bool folded) {
    KernelSymbols out;
    Status st = for_each_compact_kernel_symbol(payload, folded, [&](const KernelSymbolView& s) {
        out.symbols.push_back(KernelSymbol{s.address, s.type, std::string(s.name), std::string(s.module)});
    });
    if (!st) return st.error();
    return out;
}

Status for_each_kernel_symbol(ChunkType type, std::span<const uint8_t> payload, const KernelSymbolVisitor& visit) {
    if (type == ChunkType::kKallsymsCompact || type == ChunkType::kKallsymsFolded || type == ChunkType::kKallsymsTouched)
        return for_each_compact_kernel_symbol(payload, type != ChunkType::kKallsymsCompact, visit);
    auto all = decode_kernel_symbols(payload);
    if (!all) return all.error();
    for (const auto& s : all->symbols) visit(KernelSymbolView{s.address, s.type, s.name, s.module});
    return {};
}

Result<KernelSymbols> decode_kallsyms_chunk(ChunkType type, std::span<const uint8_t> payload) {
    if (type == ChunkType::kKallsymsCompact) return decode_kernel_symbols_compact(payload, false);
    if (type == ChunkType::kKallsymsFolded || type == ChunkType::kKallsymsTouched)
        return decode_kernel_symbols_compact(payload, true);
    return decode_kernel_symbols(payload);
}

}  // namespace kiln::format
