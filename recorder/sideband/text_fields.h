// Small helpers for the space-separated text of /proc files.
#pragma once

#include <charconv>
#include <string_view>
#include <system_error>

namespace kiln::recorder::sideband {

// Takes the next space-separated field off the front of `s` ("" when none is left).
inline std::string_view next_field(std::string_view& s) {
    size_t start = s.find_first_not_of(' ');
    if (start == std::string_view::npos) {
        s = {};
        return {};
    }
    s.remove_prefix(start);
    size_t end = s.find(' ');
    std::string_view field = s.substr(0, end);
    s.remove_prefix(end == std::string_view::npos ? s.size() : end);
    return field;
}

// The whole of `s` as a number in `base`; false when empty, out of range or not all digits.
template <typename T>
bool parse_number(std::string_view s, int base, T& out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && end == s.data() + s.size();
}

// Splits off the first line of `text` (without '\n').
inline std::string_view next_line(std::string_view& text) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    return line;
}

}  // namespace kiln::recorder::sideband
