// What recording_script needs of a binary the script names: its function symbols, the
// executable segments it maps, its build-id and, for -g dwarf samples, its code bytes (to
// find call sites). Read with libelf, independently of the analyzer's ELF readers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::testing {

struct ElfInfo {
    struct Function {
        uint64_t vaddr = 0, size = 0;
    };
    std::map<std::string, Function> symbols;  // function name → st_value, st_size
    struct Load {
        uint64_t vaddr, offset, filesz;
    };
    std::vector<Load> exec_loads;
    std::vector<uint8_t> build_id;
    std::vector<uint8_t> bytes;  // the whole file

    // File offset of a virtual address in an executable segment.
    std::optional<uint64_t> file_offset(uint64_t vaddr) const;
    // The function whose [st_value, st_value + st_size) holds vaddr, or "".
    std::string function_at(uint64_t vaddr) const;
    // Return address (vaddr) of the first direct call (e8 rel32) in caller to callee.
    Result<uint64_t> return_address_of_call(const std::string& caller, const std::string& callee) const;
};

Result<ElfInfo> read_elf(const std::string& path);

}  // namespace kiln::testing
