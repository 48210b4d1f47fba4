// The unwind rule of one code address in the simple form almost every x86-64 frame has
// (CFA = rsp or rbp + offset, return address and saved rbp at fixed offsets from the CFA),
// read once per address from a binary's .eh_frame, else its .debug_frame (code built with
// -g but without unwind tables has only that), with libdw, and cached. Frames whose CFI
// says anything else (expressions, signal frames, other registers) are left to libunwind.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

typedef struct Dwarf_CFI_s Dwarf_CFI;
typedef struct Dwarf Dwarf;
typedef struct Elf Elf;

namespace kiln::analyzer {

struct CfiRule {
    enum class Kind : uint8_t {
        Simple,     // the fields below apply
        Outermost,  // the return address is undefined: no caller (_start, thread entry)
        NoCfi,      // neither .eh_frame nor .debug_frame covers the address
        Other,      // CFI libunwind must interpret
    };
    enum class Saved : uint8_t { Same, AtOffset, Undefined };
    Kind kind = Kind::Other;
    bool cfa_from_rbp = false;  // else from rsp
    Saved rbp = Saved::Same;
    int64_t cfa_offset = 0;
    int64_t ra_offset = 0;   // return address at CFA + ra_offset
    int64_t rbp_offset = 0;  // saved rbp at CFA + rbp_offset (Saved::AtOffset)
};

class CfiRules {
public:
    // bytes/size: the whole ELF file, alive as long as this object, and writable (a private
    // mapping or a copy): libelf rewrites section headers in place when libdw decompresses
    // a compressed debug section.
    CfiRules(void* bytes, size_t size);
    ~CfiRules();
    CfiRules(const CfiRules&) = delete;
    CfiRules& operator=(const CfiRules&) = delete;

    // The rule at an ELF virtual address.
    const CfiRule& at(uint64_t vaddr);

private:
    CfiRule read(uint64_t vaddr);
    Elf* elf_ = nullptr;
    Dwarf_CFI* cfi_ = nullptr;        // .eh_frame
    Dwarf* dwarf_ = nullptr;
    Dwarf_CFI* debug_cfi_ = nullptr;  // .debug_frame, owned by dwarf_
    bool debug_frame_tried_ = false;
    std::unordered_map<uint64_t, CfiRule> cache_;
    // In front of cache_: the rule last looked up in each slot (a sample asks for the same
    // dozen addresses as the one before it). Map nodes never move, so pointers stay valid.
    struct Recent {
        uint64_t vaddr = 0;
        const CfiRule* rule = nullptr;
    };
    std::array<Recent, 1024> recent_{};
};

}  // namespace kiln::analyzer
