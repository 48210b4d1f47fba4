// The one reader of untrusted bytes: recordings' payloads, sideband, kernel symbols, perf
// records. Little-endian, bounds-checked: no read goes past the span. The first failure is
// kept (sticky) and every later read returns zero or empty, so a decoder reads straight
// through and checks failed() once at the end, or tests take()'s bool where it must stop at
// once. Nothing is allocated unless a read fails, so it serves the per-record paths too
// (parse_sample, the perf record parsers, 100k+ kernel symbols).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "formats/result.h"
#include "formats/varint.h"

namespace kiln::format {

class ByteCursor {
public:
    // what names the bytes in errors ("recording header"); it must outlive the cursor (a
    // string literal, or a string the caller keeps).
    ByteCursor(std::span<const uint8_t> data, std::string_view what)
        : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()), what_(what) {}

    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    size_t position() const { return static_cast<size_t>(p_ - begin_); }
    bool at_end() const { return p_ == end_; }
    bool failed() const { return failed_; }

    // Reads a trivially copyable T; false (and failed) when fewer bytes are left.
    template <typename T>
    bool take(T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!need(sizeof(T))) return false;
        std::memcpy(&v, p_, sizeof(T));
        p_ += sizeof(T);
        return true;
    }
    // n bytes in place; false (and failed, out untouched) when fewer are left.
    bool take_bytes(size_t n, std::span<const uint8_t>& out) {
        if (!need(n)) return false;
        out = {p_, n};
        p_ += n;
        return true;
    }

    uint8_t u8() { return get<uint8_t>(); }
    uint16_t u16() { return get<uint16_t>(); }
    uint32_t u32() { return get<uint32_t>(); }
    uint64_t u64() { return get<uint64_t>(); }
    int32_t i32() { return get<int32_t>(); }
    int64_t i64() { return get<int64_t>(); }
    std::span<const uint8_t> bytes(size_t n) {
        std::span<const uint8_t> out;
        (void)take_bytes(n, out);
        return out;
    }
    void skip(size_t n) { (void)bytes(n); }
    // The bytes not read yet (none once failed).
    std::span<const uint8_t> rest() const { return failed_ ? std::span<const uint8_t>{} : std::span{p_, end_}; }

    // A u32 length, then that many bytes.
    std::string_view str() { return as_text(bytes(u32())); }
    std::vector<uint8_t> blob() {
        const auto b = bytes(u32());
        return {b.begin(), b.end()};
    }
    // Unsigned LEB128 of at most 10 bytes.
    uint64_t uleb() {
        if (failed_) return 0;
        const uint8_t* start = p_;
        uint64_t v = 0;
        if (get_uleb(p_, end_, v)) return v;
        if (p_ - start == 10) {
            p_ = start;
            fail("a variable-length number longer than 10 bytes");
        } else {
            p_ = start;
            (void)need(static_cast<size_t>(end_ - start) + 1);  // cut off: says what was left
        }
        return 0;
    }
    // A uleb length, then that many bytes.
    std::string_view uleb_text() {
        const uint64_t n = uleb();
        if (failed_ || !need(n)) return {};
        return as_text(bytes(static_cast<size_t>(n)));
    }
    // A u32 count of items of at least min_item_size bytes each, refused (0, failed) when they
    // cannot fit in what is left: a corrupt count must not make the caller allocate.
    uint32_t count(size_t min_item_size, const char* items) {
        const uint32_t n = u32();
        if (failed_ || n <= remaining() / (min_item_size ? min_item_size : 1)) return n;
        fail_with(std::to_string(n) + " " + items + " cannot fit in the " + std::to_string(remaining()) +
                  " bytes left (corrupt count at byte " + std::to_string(position() - 4) + ")");
        return 0;
    }

    // Named in errors after `what` ("process snapshot (pid 42): ..."), for failures from now on.
    void set_context(std::string context) { context_ = std::move(context); }
    // A decoder's own check failed at the current position; the first failure is kept.
    void fail(const std::string& message) { fail_with(message + " at byte " + std::to_string(position())); }
    // "what (context): message at byte N", the first failure's; meaningful only when failed().
    Error error() const { return make_error(message_); }

private:
    static std::string_view as_text(std::span<const uint8_t> b) {
        return {reinterpret_cast<const char*>(b.data()), b.size()};
    }
    template <typename T>
    T get() {
        T v{};
        (void)take(v);
        return v;
    }
    bool need(uint64_t n) {
        if (failed_) return false;
        if (n <= remaining()) return true;
        fail_truncated(n);
        return false;
    }
    void fail_truncated(uint64_t wanted) {
        fail_with("truncated at byte " + std::to_string(position()) + " (wanted " + std::to_string(wanted) + ", " +
                  std::to_string(remaining()) + " left)");
    }
    void fail_with(std::string message) {
        if (failed_) return;
        failed_ = true;
        message_ = std::string(what_) + (context_.empty() ? "" : " (" + context_ + ")") + ": " + message;
        p_ = end_;
    }

    const uint8_t* begin_;
    const uint8_t* p_;
    const uint8_t* end_;
    std::string_view what_;
    std::string context_;
    std::string message_;
    bool failed_ = false;
};

}  // namespace kiln::format
