// KALLSYMS_COMPACT (chunk type 10, format 1.3): the kernel's text symbols in ~70% of the
// bytes of a KALLSYMS payload, which was most of a short recording's size and of the
// recorder's compression work. Layout (SPEC.md):
//   u32 layout version (1), u32 count, then per symbol in address order:
//   uleb128 address delta (from the previous symbol, the first from 0; modulo 2^64),
//   u8 type, uleb128 name length + name, uleb128 module length + module ("" = kernel image).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "formats/kiln_format.h"
#include "formats/result.h"
#include "formats/sideband.h"

namespace kiln::format {

// Builds the payload one symbol at a time, with no KernelSymbols in between: the recorder
// streams /proc/kallsyms' 100k+ lines through it.
class KernelSymbolsEncoder {
public:
    explicit KernelSymbolsEncoder(size_t reserve_bytes = 0);
    void add(uint64_t address, char type, std::string_view name, std::string_view module);
    size_t count() const { return count_; }
    std::vector<uint8_t> finish();  // the payload; use the encoder no more afterwards

private:
    std::vector<uint8_t> buf_;
    size_t count_ = 0;
    uint64_t last_address_ = 0;
};

std::vector<uint8_t> encode_compact(const KernelSymbols& s);
Result<KernelSymbols> decode_kernel_symbols_compact(std::span<const uint8_t> payload);

// Either kernel symbol chunk: KALLSYMS (kKallsyms) or KALLSYMS_COMPACT (kKallsymsCompact).
Result<KernelSymbols> decode_kallsyms_chunk(ChunkType type, std::span<const uint8_t> payload);
inline bool is_kallsyms_chunk(ChunkType type) {
    return type == ChunkType::kKallsyms || type == ChunkType::kKallsymsCompact;
}

}  // namespace kiln::format
