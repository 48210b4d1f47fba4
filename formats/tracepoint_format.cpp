#include "formats/tracepoint_format.h"

#include <charconv>
#include <cstring>

namespace kiln::format {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The value of "key:VALUE;" inside line, or nullopt.
std::optional<std::string_view> attribute(std::string_view line, std::string_view key) {
    size_t at = 0;
    while ((at = line.find(key, at)) != std::string_view::npos) {
        const bool starts = at == 0 || line[at - 1] == '\t' || line[at - 1] == ' ' || line[at - 1] == ';';
        if (starts && at + key.size() < line.size() && line[at + key.size()] == ':') {
            const size_t begin = at + key.size() + 1;
            const size_t end = line.find(';', begin);
            if (end == std::string_view::npos) return std::nullopt;
            return trim(line.substr(begin, end - begin));
        }
        at += key.size();
    }
    return std::nullopt;
}

std::optional<uint32_t> number(std::string_view s) {
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// "unsigned char prev_comm[16]" → "prev_comm"; "__data_loc char[] filename" → "filename".
std::string field_name(std::string_view decl) {
    decl = trim(decl);
    if (decl.ends_with(']'))
        if (const size_t bracket = decl.rfind('['); bracket != std::string_view::npos) decl = decl.substr(0, bracket);
    decl = trim(decl);
    const size_t space = decl.find_last_of(" \t*");
    return std::string(space == std::string_view::npos ? decl : decl.substr(space + 1));
}

}  // namespace

const TracepointField* TracepointFormat::field(std::string_view n) const {
    for (const auto& f : fields)
        if (f.name == n) return &f;
    return nullptr;
}

std::optional<int64_t> TracepointFormat::integer(const TracepointField& f, std::span<const uint8_t> raw) {
    if (f.size != 1 && f.size != 2 && f.size != 4 && f.size != 8) return std::nullopt;
    if (static_cast<uint64_t>(f.offset) + f.size > raw.size()) return std::nullopt;
    uint64_t v = 0;
    std::memcpy(&v, raw.data() + f.offset, f.size);  // little-endian hosts only, as the format
    if (f.is_signed && f.size < 8) {
        const uint64_t sign = 1ull << (f.size * 8 - 1);
        v = (v ^ sign) - sign;
    }
    return static_cast<int64_t>(v);
}

std::optional<std::string_view> TracepointFormat::string(const TracepointField& f, std::span<const uint8_t> raw) {
    if (static_cast<uint64_t>(f.offset) + f.size > raw.size()) return std::nullopt;
    uint64_t begin = f.offset, length = f.size;
    if (f.location != TracepointField::Location::kInline) {
        if (f.size != 4) return std::nullopt;
        uint32_t loc = 0;
        std::memcpy(&loc, raw.data() + f.offset, 4);
        begin = loc & 0xffff;
        length = loc >> 16;
        if (f.location == TracepointField::Location::kRelLoc) begin += static_cast<uint64_t>(f.offset) + f.size;
        if (begin + length > raw.size()) return std::nullopt;
    }
    std::string_view text(reinterpret_cast<const char*>(raw.data() + begin), static_cast<size_t>(length));
    if (const size_t nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
    return text;
}

Result<TracepointFormat> parse_tracepoint_format(std::string_view text) {
    TracepointFormat out;
    size_t line_no = 0;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        const std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        if (line.starts_with("name:")) out.name = std::string(trim(line.substr(5)));
        if (!line.starts_with("field:")) continue;
        auto decl = attribute(line, "field");
        auto offset = attribute(line, "offset");
        auto size = attribute(line, "size");
        auto is_signed = attribute(line, "signed");
        std::optional<uint32_t> off = offset ? number(*offset) : std::nullopt;
        std::optional<uint32_t> sz = size ? number(*size) : std::nullopt;
        if (!decl || !off || !sz)
            return make_error("tracepoint format line " + std::to_string(line_no) + " does not parse: '" +
                              std::string(line) + "'");
        TracepointField f;
        f.name = field_name(*decl);
        f.offset = *off;
        f.size = *sz;
        f.is_signed = is_signed && *is_signed == "1";
        if (decl->starts_with("__data_loc")) f.location = TracepointField::Location::kDataLoc;
        if (decl->starts_with("__rel_loc")) f.location = TracepointField::Location::kRelLoc;
        out.fields.push_back(std::move(f));
    }
    if (out.fields.empty()) return make_error("tracepoint format has no fields");
    return out;
}

}  // namespace kiln::format
