// Readies an ELF's compressed DWARF sections for libdw faster than libdw would itself. When
// libdw opens DWARF it inflates every compressed .debug_* section with zlib (elf_compress).
// Debian's detached debug files (libc6-dbg, -dbgsym packages, debuginfod downloads) are all
// compressed, and inflating libc's took a third of the CPU of analyzing 10k DWARF samples.
// Here libdeflate (2.6x zlib's speed on those sections) or zstd decompresses the sections the
// symbolizer reads, and the ones it never reads (location lists, macros) are hidden from libdw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

typedef struct Elf Elf;

namespace kiln::analyzer {

class DebugSectionInflater {
public:
    // elf must be open ELF_C_READ_MMAP_PRIVATE (as libdwfl opens files) or ELF_C_READ: its
    // section headers and data descriptors are rewritten in place, never the file. Call before
    // libdw reads the DWARF; keep this object alive as long as the Elf and its Dwarf. A section
    // that does not decompress is left as it was, for libdw to judge.
    void prepare(Elf* elf);
    size_t inflated() const { return buffers_.size(); }
    size_t hidden() const { return hidden_; }
    // Names of the compressed debug sections that did not decompress (corrupt, or an unknown
    // compression), comma-separated; "" if none.
    const std::string& failed() const { return failed_; }

private:
    std::vector<std::unique_ptr<uint8_t[]>> buffers_;  // the decompressed sections' bytes
    size_t hidden_ = 0;
    std::string failed_;
};

// Whether the ELF has DWARF debug info of its own (.debug_info, compressed or not).
bool has_debug_info_section(Elf* elf);

// The virtual address of the first PT_LOAD segment aligned down to its p_align, as libdwfl
// uses to relate a detached debug file to its binary; ~0 if it has none.
uint64_t first_load_address(Elf* elf);

}  // namespace kiln::analyzer
