#include "analyzer/symbolize/elf_damage.h"

#include <elfutils/libdw.h>
#include <gelf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace kiln::analyzer {

namespace {

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

// Every note's header and its name and descriptor lie within the section.
std::string check_notes(Elf_Scn* scn) {
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) return "unreadable";
    size_t off = 0;
    while (off < d->d_size) {
        GElf_Nhdr nh;
        size_t name_at = 0, desc_at = 0;
        const size_t next = gelf_getnote(d, off, &nh, &name_at, &desc_at);
        if (next == 0 || next <= off) return "malformed note at offset " + hex(off);
        off = next;
    }
    return "";
}

// Every symbol's name lies in its string table and its section index names a section.
std::string check_symbols(Elf* elf, Elf_Scn* scn, const GElf_Shdr& sh, size_t sections) {
    const size_t entry = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
    if (entry == 0 || sh.sh_entsize != entry) return "entry size " + std::to_string(sh.sh_entsize) + " is not a symbol's";
    if (sh.sh_link == 0 || sh.sh_link >= sections) return "its string table index " + std::to_string(sh.sh_link) + " is out of range";
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) return "unreadable";
    const size_t count = d->d_size / entry;
    size_t bad = 0;
    for (size_t i = 1; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(d, static_cast<int>(i), &sym)) {
            ++bad;
            continue;
        }
        const bool name_ok = sym.st_name == 0 || elf_strptr(elf, sh.sh_link, sym.st_name) != nullptr;
        const bool section_ok = sym.st_shndx < sections || sym.st_shndx >= SHN_LORESERVE;
        if (!name_ok || !section_ok) ++bad;
    }
    if (bad == 0) return "";
    return std::to_string(bad) + " of " + std::to_string(count > 0 ? count - 1 : 0) +
           " symbols malformed (name or section index out of range)";
}

// The CIE and FDE records follow each other to the end of the section.
std::string check_cfi(Elf* elf, Elf_Scn* scn, bool eh_frame) {
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) return "unreadable";
    const char* ident = elf_getident(elf, nullptr);
    if (!ident) return "";
    Dwarf_Off off = 0;
    while (off < d->d_size) {
        Dwarf_Off next = 0;
        Dwarf_CFI_Entry entry;
        const int rc = dwarf_next_cfi(reinterpret_cast<const unsigned char*>(ident), d, eh_frame, off, &next, &entry);
        if (rc == 1) break;
        if (rc != 0 || next <= off) return "malformed CIE/FDE record at offset " + hex(off);
        off = next;
    }
    return "";
}

uint64_t end_of(uint64_t offset, uint64_t size) {
    uint64_t end = 0;
    return __builtin_add_overflow(offset, size, &end) ? ~0ull : end;
}

// The file holds what its headers place in it: the section header table and the loadable
// segments' bytes (a copy cut short loses its section headers first: they come last).
std::string check_extent(Elf* elf) {
    size_t size = 0;
    GElf_Ehdr eh;
    if (!elf_rawfile(elf, &size) || !gelf_getehdr(elf, &eh)) return "";
    uint64_t need = 0;
    if (eh.e_shoff != 0) need = end_of(eh.e_shoff, uint64_t{eh.e_shentsize} * (eh.e_shnum ? eh.e_shnum : 1));
    size_t segments = 0;
    if (elf_getphdrnum(elf, &segments) == 0)
        for (size_t i = 0; i < segments; ++i) {
            GElf_Phdr ph;
            if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD)
                need = std::max(need, end_of(ph.p_offset, ph.p_filesz));
        }
    if (need <= size) return "";
    return "the file is cut short or its headers are wrong: " + std::to_string(size) + " bytes, its headers place " +
           (need == ~0ull ? std::string("data past 2^64") : "data up to byte " + std::to_string(need));
}

}  // namespace

std::vector<std::string> elf_damage(Elf* elf) {
    std::vector<std::string> out;
    if (!elf) return out;
    if (std::string why = check_extent(elf); !why.empty()) out.push_back(why);
    size_t names = 0, sections = 0;
    if (elf_getshdrstrndx(elf, &names) != 0 || elf_getshdrnum(elf, &sections) != 0) return out;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn)) != nullptr;) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || (sh.sh_flags & SHF_COMPRESSED)) continue;
        const char* n = elf_strptr(elf, names, sh.sh_name);
        const std::string name = n ? n : "section " + std::to_string(elf_ndxscn(scn));
        std::string why;
        if (sh.sh_type == SHT_NOTE)
            why = check_notes(scn);
        else if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)
            why = check_symbols(elf, scn, sh, sections);
        else if (name == ".eh_frame" || name == ".debug_frame")
            why = check_cfi(elf, scn, name == ".eh_frame");
        if (!why.empty()) out.push_back(name + ": " + why);
    }
    return out;
}

}  // namespace kiln::analyzer
