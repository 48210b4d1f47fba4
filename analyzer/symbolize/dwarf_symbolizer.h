// Symbolizes addresses of one ELF binary with elfutils' libdwfl/libdw: DWARF functions with
// their inline chains and file:line, or the ELF symbol tables (.symtab, .dynsym, the compressed
// .gnu_debugdata) when there is no DWARF. Each compile unit touched is indexed once (address
// → innermost function or inlined call), the symbol table once (sorted by address), and
// every resolved address is cached, so repeated and new addresses are both cheap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/symbolize/binary_locator.h"
#include "analyzer/symbolize/debug_sections.h"
#include "formats/result.h"

// libdwfl handles (elfutils/libdwfl.h), kept out of this header.
struct Dwfl;
struct Dwfl_Module;
typedef struct Dwarf Dwarf;

namespace kiln::analyzer {

struct SymbolizedFrame {
    std::string function;  // demangled, e.g. "ns::Foo::bar(int)"
    std::string mangled;   // linkage name as in the symbol table / DWARF; "" if not mangled
    std::string file;      // source file of this line, "" if unknown
    int64_t line = 0;
    int64_t function_start_line = 0;  // DW_AT_decl_line when known
    bool inlined = false;  // inlined into the next frame
};

class BinarySymbols {
public:
    static Result<std::unique_ptr<BinarySymbols>> open(const LocatedBinary& binary);
    ~BinarySymbols();
    BinarySymbols(const BinarySymbols&) = delete;
    BinarySymbols& operator=(const BinarySymbols&) = delete;

    // file_offset: byte offset of the instruction in the ELF file (mapping pgoff + ip - start).
    // Innermost first: inlined frames, then the function the code physically belongs to.
    // Empty when nothing covers the address. The reference stays valid while this object
    // lives (entries are never evicted).
    const std::vector<SymbolizedFrame>& resolve(uint64_t file_offset);
    bool has_dwarf() const { return has_dwarf_; }
    // What in the file (or its separate debug file) is malformed (elf_damage.h, and DWARF
    // unit headers that do not read), one entry per part; empty when the file looks whole.
    const std::vector<std::string>& damage() const { return damage_; }
    // The ELF virtual address of a file offset (through the PT_LOAD headers); ~0 if unmapped.
    uint64_t elf_vaddr(uint64_t file_offset) const;

private:
    struct CuIndex;      // one DWARF compile unit's functions and inlined calls by address
    struct DwarfIndex;   // compile units by address, each indexed on first use
    struct SymbolIndex;  // the ELF symbol tables sorted by address

    BinarySymbols();
    void note_damage(::Elf* elf, const std::string& prefix);
    std::vector<SymbolizedFrame> lookup(uint64_t file_offset);
    const char* symbol_at(uint64_t module_addr);  // ELF symbol covering it, nullptr if none

    ::Dwfl* dwfl_ = nullptr;
    ::Dwfl_Module* module_ = nullptr;
    struct Segment {
        uint64_t offset, filesz, vaddr;
    };
    std::vector<Segment> segments_;
    uint64_t bias_ = 0;  // module address = ELF virtual address + bias_
    std::string debug_path_;
    // Decompressed debug sections, for libdw; freed after the destructor has ended libdw's and
    // libelf's handles.
    DebugSectionInflater inflater_;
    // A separate debug file's DWARF, opened here rather than by libdwfl (see open()).
    int debug_fd_ = -1;
    ::Elf* debug_elf_ = nullptr;
    ::Dwarf* debug_dwarf_ = nullptr;
    bool has_dwarf_ = false;
    std::vector<std::string> damage_;
    std::unique_ptr<DwarfIndex> dwarf_;     // null without DWARF
    std::unique_ptr<SymbolIndex> symbols_;  // built on first use
    std::unordered_map<uint64_t, std::vector<SymbolizedFrame>> cache_;
};

// "_ZN2ns3Foo3barEi" → "ns::Foo::bar(int)"; other names are returned as they are.
std::string demangle(const char* name);

}  // namespace kiln::analyzer
