#include "recorder/sideband/proc_maps.h"

#include <sys/mman.h>

#include <string>

#include "recorder/sideband/text_fields.h"

namespace kiln::recorder::sideband {

namespace {

constexpr std::string_view kDeletedSuffix = " (deleted)";

// "major:minor", both hex.
bool parse_dev(std::string_view s, uint32_t& major, uint32_t& minor) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    return parse_number(s.substr(0, colon), 16, major) && parse_number(s.substr(colon + 1), 16, minor);
}

// "rwxp": PROT_* bits and MAP_PRIVATE or MAP_SHARED.
bool parse_perms(std::string_view s, uint32_t& prot, uint32_t& flags) {
    if (s.size() != 4) return false;
    prot = 0;
    if (s[0] == 'r') prot |= PROT_READ;
    if (s[1] == 'w') prot |= PROT_WRITE;
    if (s[2] == 'x') prot |= PROT_EXEC;
    if (s[3] == 's')
        flags = MAP_SHARED;
    else if (s[3] == 'p')
        flags = MAP_PRIVATE;
    else
        return false;
    return true;
}

}  // namespace

std::optional<ParsedMapping> parse_maps_line(std::string_view line) {
    ParsedMapping m;
    format::MappingEntry& e = m.entry;
    std::string_view range = next_field(line);
    size_t dash = range.find('-');
    if (dash == std::string_view::npos || !parse_number(range.substr(0, dash), 16, e.start) ||
        !parse_number(range.substr(dash + 1), 16, e.end) || e.end < e.start)
        return std::nullopt;
    if (!parse_perms(next_field(line), e.prot, e.flags)) return std::nullopt;
    if (!parse_number(next_field(line), 16, e.pgoff)) return std::nullopt;
    if (!parse_dev(next_field(line), e.dev_major, e.dev_minor)) return std::nullopt;
    if (!parse_number(next_field(line), 10, e.inode)) return std::nullopt;
    // The path is the rest after the padding, spaces in it kept.
    size_t start = line.find_first_not_of(' ');
    std::string_view path = start == std::string_view::npos ? std::string_view() : line.substr(start);
    if (path.size() > kDeletedSuffix.size() && path.ends_with(kDeletedSuffix)) {
        path.remove_suffix(kDeletedSuffix.size());
        m.deleted = true;
    }
    e.path = std::string(path);
    return m;
}

Result<std::vector<ParsedMapping>> parse_maps(std::string_view text) {
    std::vector<ParsedMapping> out;
    size_t line_no = 0;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        ++line_no;
        if (line.empty()) continue;
        auto m = parse_maps_line(line);
        if (!m)
            return make_error("malformed maps line " + std::to_string(line_no) + ": \"" +
                              std::string(line.substr(0, 200)) + "\"");
        out.push_back(std::move(*m));
    }
    return out;
}

}  // namespace kiln::recorder::sideband
