// Parsing /proc/kallsyms lines: "address type name" or "address type name\t[module]".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln::recorder::sideband {

struct KallsymsLine {
    uint64_t address = 0;
    char type = 0;
    std::string_view name;
    std::string_view module;  // without the brackets, "" for the kernel image
};

// nullopt when malformed. The views point into `line`.
std::optional<KallsymsLine> parse_kallsyms_line(std::string_view line);

// t, T, w, W: the symbol types read_kallsyms() keeps.
inline bool is_text_symbol_type(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

}  // namespace kiln::recorder::sideband
