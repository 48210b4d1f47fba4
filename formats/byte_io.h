// Little-endian byte encoding helpers. ByteReader checks every length: it reads untrusted
// bytes from recordings and never reads past its span.
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

class ByteReader {
public:
    ByteReader(std::span<const uint8_t> data, std::string what) : data_(data), what_(std::move(what)) {}

    size_t remaining() const { return data_.size() - pos_; }
    size_t position() const { return pos_; }
    bool at_end() const { return pos_ == data_.size(); }

    Result<uint8_t> u8() { return fixed<uint8_t>(); }
    Result<uint16_t> u16() { return fixed<uint16_t>(); }
    Result<uint32_t> u32() { return fixed<uint32_t>(); }
    Result<uint64_t> u64() { return fixed<uint64_t>(); }
    Result<int64_t> i64() { return fixed<int64_t>(); }

    Result<std::string> str() {
        auto n = u32();
        if (!n) return n.error();
        auto b = bytes(*n);
        if (!b) return b.error();
        return std::string(reinterpret_cast<const char*>(b->data()), b->size());
    }
    Result<std::vector<uint8_t>> blob() {
        auto n = u32();
        if (!n) return n.error();
        auto b = bytes(*n);
        if (!b) return b.error();
        return std::vector<uint8_t>(b->begin(), b->end());
    }
    Result<std::span<const uint8_t>> bytes(size_t n) {
        if (n > remaining()) return truncated(n);
        auto s = data_.subspan(pos_, n);
        pos_ += n;
        return s;
    }

private:
    template <typename T>
    Result<T> fixed() {
        if (sizeof(T) > remaining()) return truncated(sizeof(T));
        T v;
        std::memcpy(&v, data_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    Error truncated(size_t want) const {
        return make_error(what_ + ": truncated at byte " + std::to_string(pos_) + " (wanted " +
                          std::to_string(want) + ", " + std::to_string(remaining()) + " left)");
    }

    std::span<const uint8_t> data_;
    size_t pos_ = 0;
    std::string what_;
};

}  // namespace kiln
