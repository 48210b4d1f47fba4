// KALLSYMS_COMPACT (chunk type 10, format 1.3) and KALLSYMS_FOLDED (chunk type 11, format 2.1):
// the kernel's text symbols in a fraction of the bytes of a KALLSYMS payload, which was most
// of a short recording's size and of the recorder's compression work. Layout (SPEC.md):
//   u32 layout version (1), u32 entry count, then per entry in address order:
//   uleb128 address delta (from the previous entry, the first from 0; modulo 2^64),
//   u8 type, uleb128 name length + name, uleb128 module length + module ("" = kernel image).
// KALLSYMS_FOLDED adds: when the type has bit 0x80 set, a uleb128 gap follows, and the entry
// stands for two symbols, "__pfx_NAME" at address - gap and then NAME, both of the type
// without the bit and of the same module. Kernels built with function padding give nearly
// every function such a prefix symbol (57,700 of 122,000 text symbols on 6.18, 1.5 MB of
// names): folding them halves what the recorder compresses and the analyzer decodes, and
// loses nothing. A new chunk type rather than a new layout, so that 2.0 readers skip it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/kiln_format.h"
#include "formats/large_buffer.h"
#include "formats/result.h"
#include "formats/sideband.h"

namespace kiln::format {

// Builds the payload one symbol at a time, with no KernelSymbols in between: the recorder
// streams /proc/kallsyms' 100k+ lines through it.
class KernelSymbolsEncoder {
public:
    // fold_prefixes: the KALLSYMS_FOLDED layout, else KALLSYMS_COMPACT.
    explicit KernelSymbolsEncoder(size_t reserve_bytes = 0, bool fold_prefixes = true);
    void add(uint64_t address, char type, std::string_view name, std::string_view module);
    size_t count() const { return count_; }  // symbols added so far, folded prefixes included
    LargeBytes finish();  // the payload; use the encoder no more afterwards

private:
    void put_entry(uint64_t address, uint8_t type, std::string_view name, std::string_view module);

    // Room for n more bytes at buf_[size_].
    uint8_t* room(size_t n);

    LargeBytes buf_;  // the payload in buf_[0, size_); what lies past is room
    size_t size_ = 0;
    bool fold_;
    size_t count_ = 0;
    size_t entries_ = 0;
    uint64_t last_address_ = 0;
    // A "__pfx_" symbol waiting to see whether the next symbol is its function.
    bool has_pending_ = false;
    uint64_t pending_address_ = 0;
    char pending_type_ = 0;
    std::string pending_name_;
    std::string pending_module_;
};

// fold_prefixes / folded: KALLSYMS_FOLDED, else KALLSYMS_COMPACT.
LargeBytes encode_compact(const KernelSymbols& s, bool fold_prefixes);
Result<KernelSymbols> decode_kernel_symbols_compact(std::span<const uint8_t> payload, bool folded);

// One decoded symbol; the strings point into the payload (a folded prefix's name into the
// decoder) and live only for the visit.
struct KernelSymbolView {
    uint64_t address;
    char type;
    std::string_view name;
    std::string_view module;
};
using KernelSymbolVisitor = std::function<void(const KernelSymbolView&)>;

// Visits the symbols of any kernel symbol chunk in stored order, with no KernelSymbol (two
// strings each) in between: for readers that keep them in a form of their own. An error
// after some visits means the rest of the payload is corrupt.
Status for_each_kernel_symbol(ChunkType type, std::span<const uint8_t> payload, const KernelSymbolVisitor& visit);

// Any kernel symbol chunk: KALLSYMS, KALLSYMS_COMPACT, KALLSYMS_FOLDED or KALLSYMS_TOUCHED.
Result<KernelSymbols> decode_kallsyms_chunk(ChunkType type, std::span<const uint8_t> payload);
inline bool is_kallsyms_chunk(ChunkType type) {
    return type == ChunkType::kKallsyms || type == ChunkType::kKallsymsCompact ||
           type == ChunkType::kKallsymsFolded || type == ChunkType::kKallsymsTouched;
}
// The chunks that hold the whole table (KALLSYMS_TOUCHED holds a part).
inline bool is_whole_kallsyms_chunk(ChunkType type) { return is_kallsyms_chunk(type) && type != ChunkType::kKallsymsTouched; }

}  // namespace kiln::format
