#include "recorder/sideband/kallsyms.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "formats/kallsyms_compact.h"
#include "recorder/sideband/proc_files.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

namespace sideband {

namespace {
// Hex digit values, 0xff for anything else.
constexpr auto kHexValue = [] {
    std::array<uint8_t, 256> t{};
    t.fill(0xff);
    for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<uint8_t>(c);
    for (int c = 0; c < 6; ++c) t['a' + c] = t['A' + c] = static_cast<uint8_t>(10 + c);
    return t;
}();

#if defined(__SSE2__)
// The value of the 16 hex digits at p (p[0] the most significant), or nullopt when one is not
// a hex digit. A 64-bit kernel prints every address as exactly 16 digits: reading them 16 at a
// time instead of one by one took ~1 ms off parsing /proc/kallsyms' 120k+ lines.
std::optional<uint64_t> parse_16_hex_digits(const char* p) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));  // digits already have bit 0x20
    const auto in_range = [](__m128i x, char lo, char hi) {
        return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    const __m128i digit = in_range(v, '0', '9'), letter = in_range(lower, 'a', 'f');
    if (_mm_movemask_epi8(_mm_or_si128(digit, letter)) != 0xffff) return std::nullopt;
    // '0'..'9' -> 0..9; 'a'..'f' and 'A'..'F' have low nibbles 1..6 -> +9.
    const __m128i nibbles = _mm_add_epi8(_mm_and_si128(v, _mm_set1_epi8(0x0f)), _mm_and_si128(letter, _mm_set1_epi8(9)));
    // Each 16-bit lane holds two digits, the first in its low byte: make it one byte, first
    // digit high, then pack the eight bytes, most significant first.
    const __m128i pairs = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nibbles, 4), _mm_srli_epi16(nibbles, 8)),
                                        _mm_set1_epi16(0x00ff));
    const __m128i packed = _mm_packus_epi16(pairs, _mm_setzero_si128());
    return __builtin_bswap64(static_cast<uint64_t>(_mm_cvtsi128_si64(packed)));
}
#endif
}  // namespace

// One pass over the address, memchr for the module's tab: this runs for each of
// /proc/kallsyms' 120k+ lines, and find() + from_chars + find() cost noticeably more.
std::optional<KallsymsLine> parse_kallsyms_line(std::string_view line) {
    KallsymsLine out;
    size_t i = 0;
#if defined(__SSE2__)
    if (line.size() >= 20 && line[16] == ' ') {
        if (auto a = parse_16_hex_digits(line.data())) {
            out.address = *a;
            i = 16;
        }
    }
#endif
    if (i == 0)
        for (uint8_t d; i < line.size() && (d = kHexValue[static_cast<uint8_t>(line[i])]) != 0xff; ++i)
            out.address = out.address << 4 | d;
    // "ADDRESS T name": up to 16 hex digits, a space, the type, a space, a name.
    if (i == 0 || i > 16 || line.size() < i + 4 || line[i] != ' ' || line[i + 2] != ' ') return std::nullopt;
    out.type = line[i + 1];
    const size_t name_at = i + 3;
    const void* t = std::memchr(line.data() + name_at, '\t', line.size() - name_at);
    const size_t tab = t ? static_cast<size_t>(static_cast<const char*>(t) - line.data()) : line.size();
    out.name = line.substr(name_at, tab - name_at);
    if (out.name.empty()) return std::nullopt;
    if (tab < line.size()) {
        std::string_view mod = line.substr(tab + 1);
        if (mod.size() >= 2 && mod.front() == '[' && mod.back() == ']') mod = mod.substr(1, mod.size() - 2);
        out.module = mod;
    }
    return out;
}

}  // namespace sideband

namespace {

// Reads the file in large blocks and calls fn for each line (newline removed). /proc/kallsyms
// is ~5 MB of ~120k lines: one read() per MiB instead of stdio's one per 4 KiB.
template <typename Fn>
Status for_each_line_in_blocks(const std::string& path, Fn&& fn) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return make_error(sideband::read_error(path, errno));
    constexpr size_t kBlock = 1 << 20;
    std::unique_ptr<char[]> buf(new char[kBlock]);
    size_t held = 0;  // bytes of an unfinished line at the start of buf
    int err = 0;
    for (;;) {
        if (held == kBlock) held = 0;  // a line longer than a block: drop it
        const ssize_t n = ::read(fd, buf.get() + held, kBlock - held);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            break;
        }
        const size_t have = held + static_cast<size_t>(n);
        size_t begin = 0;
        for (;;) {
            const void* nl = std::memchr(buf.get() + begin, '\n', have - begin);
            if (!nl) break;
            const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf.get());
            fn(std::string_view(buf.get() + begin, end - begin));
            begin = end + 1;
        }
        if (n == 0) {
            if (begin < have) fn(std::string_view(buf.get() + begin, have - begin));
            break;
        }
        held = have - begin;
        std::memmove(buf.get(), buf.get() + begin, held);
    }
    ::close(fd);
    if (err != 0) return make_error(sideband::read_error(path, err));
    return Status::success();
}

}  // namespace

Result<KallsymsPayload> read_kallsyms_payload(const std::string& path) {
    KallsymsPayload out;
    format::KernelSymbolsEncoder encoder(8u << 20);
    size_t lines = 0;
    size_t malformed = 0;
    bool any_address = false;
    bool sorted = true;
    uint64_t last_address = 0;
    Status st = for_each_line_in_blocks(path, [&](std::string_view line) {
        if (line.empty()) return;
        ++lines;
        auto sym = sideband::parse_kallsyms_line(line);
        if (!sym) {
            ++malformed;
            return;
        }
        if (sym->address == 0) return;
        any_address = true;
        if (sym->module.empty()) {
            if (sym->name == "_stext") out.text_start = sym->address;
            if (sym->name == "_etext") out.text_end = sym->address;
        }
        if (!sideband::is_text_symbol_type(sym->type)) return;
        sorted &= sym->address >= last_address;
        last_address = sym->address;
        encoder.add(sym->address, sym->type, sym->name, sym->module);
    });
    if (!st) return make_error("kernel symbols: " + st.error().message);
    if (lines == 0) return make_error("kernel symbols: " + path + " is empty");
    if (malformed == lines) return make_error("kernel symbols: " + path + " is not in kallsyms format");
    if (!any_address) {
        std::string restrict_value;
        if (sideband::read_file("/proc/sys/kernel/kptr_restrict", restrict_value, 64) == 0)
            restrict_value = " is " + std::string(sideband::trim_newline(restrict_value));
        return make_error("kernel symbols: every address in " + path +
                          " is 0: kernel pointers are hidden (/proc/sys/kernel/kptr_restrict" + restrict_value +
                          "); run as root (CAP_SYSLOG), or set kernel.kptr_restrict=0 and "
                          "kernel.perf_event_paranoid<=1");
    }
    out.count = encoder.count();
    out.payload = encoder.finish();
    // /proc/kallsyms is nearly always in address order already; when it is not, the
    // symbols are decoded, sorted and encoded again.
    if (!sorted) {
        auto syms = format::decode_kernel_symbols_compact(out.payload, true);
        if (!syms) return make_error("kernel symbols: " + syms.error().message);
        std::stable_sort(syms->symbols.begin(), syms->symbols.end(),
                         [](const format::KernelSymbol& a, const format::KernelSymbol& b) { return a.address < b.address; });
        out.payload = format::encode_compact(*syms, true);
    }
    return out;
}

Result<format::KernelSymbols> read_kallsyms(const std::string& path) {
    auto read = read_kallsyms_payload(path);
    if (!read) return read.error();
    return format::decode_kernel_symbols_compact(read->payload, true);
}

}  // namespace kiln::recorder
