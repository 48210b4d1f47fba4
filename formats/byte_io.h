// Little-endian byte encoding: ByteWriter builds payloads. Reading them back is
// formats/byte_cursor.h's ByteCursor, which checks every length.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln {

class ByteWriter {
public:
    // Starting with some capacity also keeps GCC 12's -Wstringop-overflow false positive
    // (growth from an empty vector) quiet.
    ByteWriter() { buf_.reserve(256); }
    void u8(uint8_t v) { buf_.push_back(v); }
    void u16(uint16_t v) { raw(&v, sizeof v); }
    void u32(uint32_t v) { raw(&v, sizeof v); }
    void u64(uint64_t v) { raw(&v, sizeof v); }
    void i64(int64_t v) { raw(&v, sizeof v); }
    // Length-prefixed (u32) string or byte blob.
    void str(std::string_view s) {
        u32(static_cast<uint32_t>(s.size()));
        raw(s.data(), s.size());
    }
    void blob(std::span<const uint8_t> b) {
        u32(static_cast<uint32_t>(b.size()));
        raw(b.data(), b.size());
    }
    void raw(const void* p, size_t n) {
        if (n == 0) return;
        const auto* bytes = static_cast<const uint8_t*>(p);
        buf_.insert(buf_.end(), bytes, bytes + n);
    }
    const std::vector<uint8_t>& bytes() const { return buf_; }
    std::vector<uint8_t>&& take() { return std::move(buf_); }
    size_t size() const { return buf_.size(); }
    void clear() { buf_.clear(); }

private:
    std::vector<uint8_t> buf_;
};

}  // namespace kiln
