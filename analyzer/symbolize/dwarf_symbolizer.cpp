#include "analyzer/symbolize/dwarf_symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace kiln::analyzer {

std::string demangle(const char* name) {
    if (!name) return "";
    if (name[0] == '_' && name[1] == 'Z') {
        int status = 0;
        char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
        if (status == 0 && d) {
            std::string out(d);
            std::free(d);
            return out;
        }
        std::free(d);
    }
    return name;
}

namespace {

// libdwfl asks for a separate debug file only when the main file has no DWARF. The locator
// already chose it by build-id; nothing else is searched, so results never depend on what
// else happens to be installed on the analyzing machine.
int find_debuginfo(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr, const char*, const char*, GElf_Word,
                   char** debuginfo_file_name) {
    const auto* debug_path = static_cast<const std::string*>(*userdata);
    if (!debug_path || debug_path->empty()) return -1;
    const int fd = ::open(debug_path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) *debuginfo_file_name = strdup(debug_path->c_str());
    return fd;
}

char* no_debuginfo_path = nullptr;
const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &no_debuginfo_path,
};

const char* die_linkage_name(Dwarf_Die* die) {
    Dwarf_Attribute attr;
    for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name})
        if (dwarf_attr_integrate(die, name, &attr))
            if (const char* s = dwarf_formstring(&attr)) return s;
    return nullptr;
}

void name_from_die(Dwarf_Die* die, SymbolizedFrame& f) {
    const char* linkage = die_linkage_name(die);
    if (linkage) {
        f.function = demangle(linkage);
        if (f.function != linkage) f.mangled = linkage;
    } else {
        const char* n = dwarf_diename(die);
        f.function = n ? n : "[unknown]";
    }
    int decl = 0;
    Dwarf_Die origin, *d = die;
    Dwarf_Attribute attr;
    if (dwarf_attr(die, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &origin)) d = &origin;
    if (dwarf_decl_line(d, &decl) == 0) f.function_start_line = decl;
}

// File name of a DW_AT_call_file index in the CU's file table.
std::string call_file(Dwarf_Die* cudie, Dwarf_Die* inlined) {
    Dwarf_Attribute attr;
    Dwarf_Word idx = 0;
    if (!dwarf_attr(inlined, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &idx) != 0) return "";
    Dwarf_Files* files = nullptr;
    size_t n = 0;
    if (dwarf_getsrcfiles(cudie, &files, &n) != 0 || idx >= n) return "";
    const char* f = dwarf_filesrc(files, idx, nullptr, nullptr);
    return f ? f : "";
}

int64_t call_line(Dwarf_Die* inlined) {
    Dwarf_Attribute attr;
    Dwarf_Word line = 0;
    if (!dwarf_attr(inlined, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &line) != 0) return 0;
    return static_cast<int64_t>(line);
}

}  // namespace

Result<std::unique_ptr<BinarySymbols>> BinarySymbols::open(const LocatedBinary& binary) {
    std::unique_ptr<BinarySymbols> s(new BinarySymbols());
    s->debug_path_ = binary.debug_path;
    s->dwfl_ = dwfl_begin(&kCallbacks);
    if (!s->dwfl_) return make_error(binary.path + ": libdwfl: " + dwfl_errmsg(-1));
    const int fd = ::open(binary.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(binary.path + ": " + std::strerror(errno));
    // Bias 0: module addresses are the ELF's own virtual addresses. dwfl owns fd from here.
    s->module_ = dwfl_report_elf(s->dwfl_, binary.path.c_str(), binary.path.c_str(), fd, 0, false);
    if (!s->module_) {
        ::close(fd);
        return make_error(binary.path + ": cannot read as ELF: " + dwfl_errmsg(-1));
    }
    dwfl_report_end(s->dwfl_, nullptr, nullptr);
    void** userdata = nullptr;
    dwfl_module_info(s->module_, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    if (userdata) *userdata = &s->debug_path_;

    Dwarf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(s->module_, &bias);
    if (!elf) return make_error(binary.path + ": no ELF data: " + dwfl_errmsg(-1));
    size_t nph = 0;
    elf_getphdrnum(elf, &nph);
    for (size_t i = 0; i < nph; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD)
            s->segments_.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});
    }
    s->has_dwarf_ = dwfl_module_getdwarf(s->module_, &bias) != nullptr;
    return s;
}

BinarySymbols::~BinarySymbols() {
    if (dwfl_) dwfl_end(dwfl_);
}

uint64_t BinarySymbols::elf_vaddr(uint64_t file_offset) const {
    for (const auto& seg : segments_)
        if (file_offset >= seg.offset && file_offset < seg.offset + seg.filesz)
            return file_offset - seg.offset + seg.vaddr;
    return ~0ull;
}

const std::vector<SymbolizedFrame>& BinarySymbols::resolve(uint64_t file_offset) {
    auto it = cache_.find(file_offset);
    if (it == cache_.end()) it = cache_.emplace(file_offset, lookup(file_offset)).first;
    return it->second;
}

std::vector<SymbolizedFrame> BinarySymbols::lookup(uint64_t file_offset) {
    std::vector<SymbolizedFrame> frames;
    const uint64_t vaddr = elf_vaddr(file_offset);
    if (vaddr == ~0ull) return frames;
    const Dwarf_Addr addr = vaddr;  // bias 0

    Dwarf_Addr cu_bias = 0;
    Dwarf_Die* cudie = has_dwarf_ ? dwfl_module_addrdie(module_, addr, &cu_bias) : nullptr;
    if (cudie) {
        // dwarf_getscopes finds the innermost scope at the address, but past an inlined
        // instance it continues with the abstract definition's scopes; the concrete parents
        // (the function the code was inlined into) come from dwarf_getscopes_die.
        Dwarf_Die* found = nullptr;
        Dwarf_Die* scopes = nullptr;
        int n = 0;
        if (dwarf_getscopes(cudie, addr - cu_bias, &found) > 0) {
            Dwarf_Die innermost = found[0];
            n = dwarf_getscopes_die(&innermost, &scopes);
        }
        std::free(found);
        // The innermost line comes from the line table; each inlined call site gives the
        // line of the frame that contains it.
        std::string file;
        int64_t line = 0;
        if (Dwfl_Line* l = dwfl_module_getsrc(module_, addr)) {
            int lineno = 0;
            const char* src = dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr);
            file = src ? src : "";
            line = lineno;
        }
        for (int i = 0; i < n; ++i) {
            Dwarf_Die* die = &scopes[i];
            const int tag = dwarf_tag(die);
            if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) continue;
            SymbolizedFrame f;
            name_from_die(die, f);
            f.file = file;
            f.line = line;
            f.inlined = tag == DW_TAG_inlined_subroutine;
            frames.push_back(std::move(f));
            if (tag == DW_TAG_subprogram) break;
            file = call_file(cudie, die);
            line = call_line(die);
        }
        std::free(scopes);
    }
    if (frames.empty() || frames.back().inlined) {
        // No DWARF function covers it: the ELF symbol tables name the physical function.
        GElf_Sym sym;
        GElf_Off off = 0;
        const char* name = dwfl_module_addrinfo(module_, addr, &off, &sym, nullptr, nullptr, nullptr);
        if (name) {
            SymbolizedFrame f;
            f.function = demangle(name);
            if (f.function != name) f.mangled = name;
            if (!frames.empty()) {
                f.file = frames.back().file;
                frames.back().inlined = true;
            }
            frames.push_back(std::move(f));
        }
    }
    return frames;
}

}  // namespace kiln::analyzer
