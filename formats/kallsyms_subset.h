// The kernel's symbols in a recording without the whole table (4.3): the table is ~1.7 MB raw,
// ~580 KB compressed, most of a short frame-pointer recording, and its samples hit a few hundred
// of its 120,000 symbols.
//   KALLSYMS_REF (at start): the whole table's size and 64-bit hash, the zstd level and the
//     kernel-symbol generation it was cached under. The table itself stays in kiln's cache on
//     the recording machine, so a recording killed before its end still names kernel frames
//     when analyzed there, on the same boot.
//     Layout: u32 layout version (1), u64 raw_size, u64 raw_hash, i32 level, u64 generation,
//     u32 symbol count.
//   KALLSYMS_TOUCHED (at each file's end): KALLSYMS_FOLDED's layout, holding each symbol that
//     holds an address the samples hit or that address - 1 (a caller's frame is named by its
//     return address - 1), and the symbol after it, which bounds it: every sampled address and
//     every caller's call site resolves in it as in the whole table.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/kiln_format.h"
#include "formats/large_buffer.h"
#include "formats/result.h"

namespace kiln::format {

struct KallsymsRef {
    uint64_t raw_size = 0;    // bytes of the whole KALLSYMS_FOLDED payload
    uint64_t raw_hash = 0;    // its payload hash (recorder/sideband/compressed_payload_cache.h)
    int32_t level = 0;        // the zstd level of its cached frame
    uint64_t generation = 0;  // the kernel-symbol generation it was read under; 0 unknown
    uint32_t count = 0;       // its symbols
};

std::vector<uint8_t> encode_kallsyms_ref(const KallsymsRef& ref);
Result<KallsymsRef> decode_kallsyms_ref(std::span<const uint8_t> payload);

// A kernel address as the kernel writes them in callchains: the upper half of the address
// space, below the PERF_CONTEXT_* markers.
inline bool is_kernel_address(uint64_t ip) { return ip >= 0xffff800000000000ull && ip < static_cast<uint64_t>(-4095); }

// The KALLSYMS_TOUCHED payload of a whole KALLSYMS_FOLDED payload for the addresses given
// (sorted, distinct): the symbols holding them or them - 1, and each one's successor. `count`, when given,
// gets the symbols kept.
Result<LargeBytes> kernel_symbols_touched(std::span<const uint8_t> whole, std::span<const uint64_t> addresses,
                                          size_t* count = nullptr);

}  // namespace kiln::format
