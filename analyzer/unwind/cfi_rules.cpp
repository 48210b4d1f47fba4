#include "analyzer/unwind/cfi_rules.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>

#include <cstdlib>

namespace kiln::analyzer {

namespace {
// DWARF register numbers on x86-64.
constexpr int kRbp = 6, kRsp = 7;

// A register rule "saved at CFA + N" in libdw's form: DW_OP_call_frame_cfa [DW_OP_plus_uconst N].
bool cfa_offset_of(const Dwarf_Op* ops, size_t n, int64_t& offset) {
    if (n == 0 || ops[0].atom != DW_OP_call_frame_cfa) return false;
    if (n == 1) {
        offset = 0;
        return true;
    }
    if (n == 2 && ops[1].atom == DW_OP_plus_uconst) {
        offset = static_cast<int64_t>(ops[1].number);  // libdw stores negative offsets wrapped
        return true;
    }
    return false;
}
}  // namespace

CfiRules::CfiRules(void* bytes, size_t size) {
    elf_version(EV_CURRENT);
    elf_ = elf_memory(static_cast<char*>(bytes), size);
    if (!elf_) return;
    cfi_ = dwarf_getcfi_elf(elf_);
}

CfiRules::~CfiRules() {
    if (cfi_) dwarf_cfi_end(cfi_);
    if (dwarf_) dwarf_end(dwarf_);
    if (elf_) elf_end(elf_);
}

const CfiRule& CfiRules::at(uint64_t vaddr) {
    Recent& slot = recent_[(vaddr ^ (vaddr >> 10)) % recent_.size()];
    if (slot.rule && slot.vaddr == vaddr) return *slot.rule;
    auto it = cache_.find(vaddr);
    if (it == cache_.end()) it = cache_.emplace(vaddr, read(vaddr)).first;
    slot = {vaddr, &it->second};
    return it->second;
}

CfiRule CfiRules::read(uint64_t vaddr) {
    CfiRule rule;
    Dwarf_Frame* frame = nullptr;
    const bool in_eh_frame = cfi_ && dwarf_cfi_addrframe(cfi_, vaddr, &frame) == 0;
    if (!in_eh_frame && !debug_frame_tried_) {
        // Only now: opening the DWARF may decompress debug sections.
        debug_frame_tried_ = true;
        dwarf_ = dwarf_begin_elf(elf_, DWARF_C_READ, nullptr);
        if (dwarf_) debug_cfi_ = dwarf_getcfi(dwarf_);
    }
    if (!in_eh_frame && (!debug_cfi_ || dwarf_cfi_addrframe(debug_cfi_, vaddr, &frame) != 0)) {
        rule.kind = CfiRule::Kind::NoCfi;
        return rule;
    }
    // Frees the frame on every path out.
    struct Free {
        Dwarf_Frame* f;
        ~Free() { std::free(f); }
    } owner{frame};
    bool signal = false;
    if (dwarf_frame_info(frame, nullptr, nullptr, &signal) != 16 || signal) return rule;

    Dwarf_Op mem[3];
    Dwarf_Op* ops = nullptr;
    size_t n = 0;
    if (dwarf_frame_register(frame, 16, mem, &ops, &n) != 0) return rule;
    if (n == 0 && ops == mem) {
        rule.kind = CfiRule::Kind::Outermost;
        return rule;
    }
    if (!cfa_offset_of(ops, n, rule.ra_offset)) return rule;

    if (dwarf_frame_cfa(frame, &ops, &n) != 0 || n != 1 || ops[0].atom != DW_OP_bregx) return rule;
    if (ops[0].number != kRsp && ops[0].number != kRbp) return rule;
    rule.cfa_from_rbp = ops[0].number == kRbp;
    rule.cfa_offset = static_cast<int64_t>(ops[0].number2);

    if (dwarf_frame_register(frame, kRbp, mem, &ops, &n) != 0) return rule;
    if (n == 0) {
        rule.rbp = ops == mem ? CfiRule::Saved::Undefined : CfiRule::Saved::Same;
    } else {
        if (!cfa_offset_of(ops, n, rule.rbp_offset)) return rule;
        rule.rbp = CfiRule::Saved::AtOffset;
    }
    rule.kind = CfiRule::Kind::Simple;
    return rule;
}

}  // namespace kiln::analyzer
