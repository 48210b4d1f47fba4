// The layout of a tracepoint's RAW payload, read from the text of its tracefs format file
// (stored per event in the recording header), so readers never hard-code a kernel's layout.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::format {

struct TracepointField {
    std::string name;  // "prev_state"
    uint32_t offset = 0;
    uint32_t size = 0;
    bool is_signed = false;
    // "__data_loc char[] filename": a u32 whose low half is the string's offset in the
    // payload and high half its length; "__rel_loc" counts the offset from the field's end.
    enum class Location : uint8_t { kInline, kDataLoc, kRelLoc } location = Location::kInline;
};

struct TracepointFormat {
    std::string name;  // "sched_switch"
    std::vector<TracepointField> fields;

    const TracepointField* field(std::string_view name) const;
    // An integer field (size 1, 2, 4 or 8) of a RAW payload, sign-extended when signed;
    // nullopt when the payload is too short for it.
    static std::optional<int64_t> integer(const TracepointField& f, std::span<const uint8_t> raw);
    // A string field: an inline char[N] or a __data_loc/__rel_loc string, up to its first NUL;
    // nullopt when the payload is too short for it or it points outside the payload.
    static std::optional<std::string_view> string(const TracepointField& f, std::span<const uint8_t> raw);
};

// Parses the text of a tracefs format file ("field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;"
// lines). Fails naming the line that does not parse.
Result<TracepointFormat> parse_tracepoint_format(std::string_view text);

}  // namespace kiln::format
