// LEB128 varints and zigzag: the small-number encodings of the compact kernel symbols and the
// sample deltas.
#pragma once

#include <cstdint>

namespace kiln::format {

// Writes v as unsigned LEB128 (at most 10 bytes) at p; returns the byte after it.
inline uint8_t* put_uleb(uint8_t* p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = static_cast<uint8_t>(v | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    return p;
}

// Reads an unsigned LEB128 at p, never past end; false when it is cut off or longer than 10
// bytes. p is left after it.
inline bool get_uleb(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64 && p < end; shift += 7) {
        const uint8_t b = *p++;
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

// A difference of two u64s (mod 2^64) as an unsigned number that is small when the difference
// is small either way.
inline uint64_t zigzag(uint64_t difference) {
    return (difference << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(difference) >> 63);
}
inline uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

}  // namespace kiln::format
