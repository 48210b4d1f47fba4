#include "analyzer/symbolize/dwarf_symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "analyzer/symbolize/elf_damage.h"

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

// Name and declaration line of a subprogram or inlined instance (through its abstract
// origin and specification, which dwarf_attr_integrate follows).
void name_from_die(Dwarf_Die* die, SymbolizedFrame& f) {
    if (const char* linkage = die_linkage_name(die)) {
        f.function = demangle(linkage);
        if (f.function != linkage) f.mangled = linkage;
    } else {
        const char* n = dwarf_diename(die);
        f.function = n ? n : "";
    }
    int decl = 0;
    if (dwarf_decl_line(die, &decl) == 0) f.function_start_line = decl;
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

// Deeper DIE nesting than this is not real code (and would only exhaust the stack).
constexpr uint32_t kMaxDepth = 512;

}  // namespace

// The functions and inlined calls of one compile unit, flattened into disjoint address
// segments each naming its innermost scope: one walk of the CU's DIE tree, then every
// address is a binary search. Names and call sites are read when a scope is first hit.
struct BinarySymbols::CuIndex {
    struct Scope {
        Dwarf_Die die;
        int32_t parent;  // enclosing scope for an inlined call, -1 for a subprogram
        bool inlined;
        bool described = false;
        SymbolizedFrame frame;  // function, mangled, function_start_line
        std::string call_file;  // where an inlined call sits in its caller
        int64_t call_line = 0;
    };
    struct Interval {
        uint64_t lo, hi;
        uint32_t depth;
        int32_t scope;
    };

    Dwarf_Die cu;
    std::vector<Scope> scopes;
    std::vector<uint64_t> starts;    // segment i covers [starts[i], starts[i+1])
    std::vector<int32_t> innermost;  // scope of segment i, -1 for none

    explicit CuIndex(Dwarf_Die cudie) : cu(cudie) {
        std::vector<Interval> intervals;
        walk(&cu, -1, 0, intervals);
        flatten(intervals);
    }

    void walk(Dwarf_Die* parent, int32_t enclosing, uint32_t depth, std::vector<Interval>& out) {
        Dwarf_Die child;
        if (depth > kMaxDepth || dwarf_child(parent, &child) != 0) return;
        do {
            const int tag = dwarf_tag(&child);
            switch (tag) {
                case DW_TAG_subprogram:
                case DW_TAG_inlined_subroutine: {
                    const auto id = static_cast<int32_t>(scopes.size());
                    const size_t before = out.size();
                    Dwarf_Addr base = 0, lo = 0, hi = 0;
                    for (ptrdiff_t off = 0; (off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0;)
                        if (hi > lo) out.push_back({lo, hi, depth, id});
                    // Declarations and abstract instances have no code; their concrete
                    // instances are elsewhere in the tree.
                    if (out.size() == before) break;
                    const bool inl = tag == DW_TAG_inlined_subroutine;
                    scopes.push_back({child, inl ? enclosing : -1, inl, false, {}, {}, 0});
                    walk(&child, id, depth + 1, out);
                    break;
                }
                case DW_TAG_lexical_block:
                case DW_TAG_try_block:
                case DW_TAG_catch_block:
                case DW_TAG_namespace:
                case DW_TAG_module:
                case DW_TAG_class_type:
                case DW_TAG_structure_type:
                case DW_TAG_union_type:
                    walk(&child, enclosing, depth + 1, out);
                    break;
                default:
                    break;
            }
        } while (dwarf_siblingof(&child, &child) == 0);
    }

    // Sweep over intervals sorted by start (outer before inner at equal starts) with a stack
    // of open ones: each start and each end begins a segment owned by the top of the stack.
    void flatten(std::vector<Interval>& iv) {
        std::sort(iv.begin(), iv.end(), [](const Interval& a, const Interval& b) {
            if (a.lo != b.lo) return a.lo < b.lo;
            if (a.hi != b.hi) return a.hi > b.hi;
            return a.depth < b.depth;
        });
        std::vector<const Interval*> open;
        auto emit = [this](uint64_t start, int32_t scope) {
            if (!starts.empty() && starts.back() == start) {
                innermost.back() = scope;
                return;
            }
            if (!innermost.empty() && innermost.back() == scope) return;
            starts.push_back(start);
            innermost.push_back(scope);
        };
        auto close_until = [&](uint64_t x) {
            while (!open.empty() && open.back()->hi <= x) {
                const uint64_t end = std::max(open.back()->hi, starts.empty() ? 0 : starts.back());
                open.pop_back();
                emit(end, open.empty() ? -1 : open.back()->scope);
            }
        };
        for (const Interval& i : iv) {
            close_until(i.lo);
            emit(i.lo, i.scope);
            open.push_back(&i);
        }
        close_until(~0ull);
    }

    int32_t find(uint64_t addr) const {
        auto it = std::upper_bound(starts.begin(), starts.end(), addr);
        if (it == starts.begin()) return -1;
        return innermost[static_cast<size_t>(it - starts.begin()) - 1];
    }

    Scope& describe(int32_t id) {
        Scope& s = scopes[static_cast<size_t>(id)];
        if (!s.described) {
            name_from_die(&s.die, s.frame);
            s.frame.inlined = s.inlined;
            if (s.inlined) {
                s.call_file = call_file(&cu, &s.die);
                s.call_line = call_line(&s.die);
            }
            s.described = true;
        }
        return s;
    }
};

// The compile units of the module's DWARF by address range (from each CU's own DW_AT_ranges /
// low_pc+high_pc: clang writes no .debug_aranges, and libdw 0.188 finds no CU without it).
struct BinarySymbols::DwarfIndex {
    struct Unit {
        uint64_t lo, hi;
        size_t cu;  // index into cus
    };
    Dwarf_Addr bias = 0;  // module address = DWARF address + bias
    std::vector<Unit> units;  // sorted by lo
    std::vector<Dwarf_Die> cu_dies;
    std::vector<std::unique_ptr<CuIndex>> cus;  // parallel to cu_dies, built on first hit

    std::string problem;  // why the unit headers stopped reading, "" when they all read

    DwarfIndex(Dwarf* dw, Dwarf_Addr dwarf_bias) : bias(dwarf_bias) {
        Dwarf_CU* cu = nullptr;
        Dwarf_Die cudie, subdie;
        uint8_t type = 0;
        int rc = 0;
        size_t read = 0;
        while ((rc = dwarf_get_units(dw, cu, &cu, nullptr, &type, &cudie, &subdie)) == 0) {
            ++read;
            if (type == DW_UT_partial || type == DW_UT_type || type == DW_UT_split_type) continue;
            // A skeleton unit's functions live in its split unit (.dwo), when libdw found it.
            Dwarf_Die tree = (type == DW_UT_skeleton && dwarf_tag(&subdie) == DW_TAG_compile_unit) ? subdie : cudie;
            const size_t id = cu_dies.size();
            Dwarf_Addr base = 0, lo = 0, hi = 0;
            bool any = false;
            for (ptrdiff_t off = 0; (off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0;)
                if (hi > lo) {
                    units.push_back({lo, hi, id});
                    any = true;
                }
            if (!any) continue;
            cu_dies.push_back(tree);
        }
        if (rc < 0)
            problem = ".debug_info: unit header unreadable after " + std::to_string(read) + " units (" +
                      dwarf_errmsg(-1) + ")";
        cus.resize(cu_dies.size());
        std::sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.lo < b.lo; });
    }

    // The compile unit covering a DWARF address, nullptr if none.
    CuIndex* find(uint64_t addr) {
        auto it = std::upper_bound(units.begin(), units.end(), addr, [](uint64_t a, const Unit& u) { return a < u.lo; });
        for (int k = 0; k < 4 && it != units.begin(); ++k) {  // overlaps are rare and small
            --it;
            if (addr < it->hi) {
                auto& index = cus[it->cu];
                if (!index) index = std::make_unique<CuIndex>(cu_dies[it->cu]);
                return index.get();
            }
        }
        return nullptr;
    }
};

// The module's ELF symbols (.symtab, else .dynsym plus the .gnu_debugdata mini symbol table)
// sorted by address; libdwfl's own lookup scans every symbol on each call.
struct BinarySymbols::SymbolIndex {
    struct Sym {
        uint64_t start, end;
        const char* name;
        int rank;  // lower is preferred among symbols at one address
    };
    std::vector<Sym> syms;

    explicit SymbolIndex(Dwfl_Module* mod) {
        const int n = dwfl_module_getsymtab(mod);
        for (int i = 1; i < n; ++i) {
            GElf_Sym sym;
            GElf_Addr addr = 0;
            GElf_Word shndx = 0;
            Elf* elf = nullptr;
            Dwarf_Addr bias = 0;
            const char* name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, &elf, &bias);
            const int type = GELF_ST_TYPE(sym.st_info);
            if (!name || !*name || shndx == SHN_UNDEF || shndx == SHN_ABS || shndx == static_cast<GElf_Word>(-1))
                continue;
            if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE) continue;
            if (name[0] == '$') continue;  // ARM/AArch64 mapping symbols
            uint64_t end = addr + sym.st_size;
            if (sym.st_size == 0) {
                end = ~0ull;  // up to the next symbol, within its section
                GElf_Shdr sh;
                if (Elf_Scn* scn = elf ? elf_getscn(elf, shndx) : nullptr; scn && gelf_getshdr(scn, &sh))
                    end = sh.sh_addr + sh.sh_size + bias;
                if (end <= addr) end = addr + 1;
            }
            const int bind = GELF_ST_BIND(sym.st_info);
            const int rank = (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2) * 4 + (sym.st_size ? 0 : 2) +
                             (type == STT_NOTYPE ? 1 : 0);
            syms.push_back({addr, end, name, rank});
        }
        std::sort(syms.begin(), syms.end(), [](const Sym& a, const Sym& b) {
            return a.start != b.start ? a.start < b.start : a.rank < b.rank;
        });
        syms.erase(std::unique(syms.begin(), syms.end(), [](const Sym& a, const Sym& b) { return a.start == b.start; }),
                   syms.end());
        for (size_t i = 0; i + 1 < syms.size(); ++i)
            if (syms[i].end == ~0ull || (syms[i].end > syms[i + 1].start && syms[i].rank % 4 >= 2))
                syms[i].end = std::min(syms[i].end, syms[i + 1].start);
    }

    const char* find(uint64_t addr) const {
        auto it = std::upper_bound(syms.begin(), syms.end(), addr, [](uint64_t a, const Sym& s) { return a < s.start; });
        // A symbol nested in a larger one may end first: look a few further back.
        for (int k = 0; k < 4 && it != syms.begin(); ++k) {
            --it;
            if (addr < it->end) return it->name;
        }
        return nullptr;
    }
};

BinarySymbols::BinarySymbols() = default;

Result<std::unique_ptr<BinarySymbols>> BinarySymbols::open(const LocatedBinary& binary) {
    std::unique_ptr<BinarySymbols> s(new BinarySymbols());
    s->debug_path_ = binary.debug_path;
    s->dwfl_ = dwfl_begin(&kCallbacks);
    if (!s->dwfl_) return make_error(binary.path + ": libdwfl: " + dwfl_errmsg(-1));
    const int fd = ::open(binary.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(binary.path + ": " + std::strerror(errno));
    // Base 0 with add_p_vaddr: module addresses are the ELF's own virtual addresses, for
    // ET_EXEC and for ET_DYN whose first segment is not at 0 alike. dwfl owns fd from here.
    s->module_ = dwfl_report_elf(s->dwfl_, binary.path.c_str(), binary.path.c_str(), fd, 0, true);
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
    s->bias_ = bias;
    size_t nph = 0;
    if (elf_getphdrnum(elf, &nph) != 0) return make_error(binary.path + ": no program headers: " + elf_errmsg(-1));
    for (size_t i = 0; i < nph; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD)
            s->segments_.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});
    }
    if (s->segments_.empty()) return make_error(binary.path + ": no loadable segments (not an executable or library)");
    // DWARF of the binary's own comes first, as libdwfl would choose; else the separate debug
    // file the locator chose, opened here rather than by libdwfl so that its compressed
    // sections are decompressed (debug_sections.h) before libdw reads them.
    if (has_debug_info_section(elf) || binary.debug_path.empty()) {
        s->inflater_.prepare(elf);
        if (!s->inflater_.failed().empty())
            s->damage_.push_back(s->inflater_.failed() + ": compressed, and does not decompress");
        Dwarf_Addr dwarf_bias = 0;
        if (Dwarf* dw = dwfl_module_getdwarf(s->module_, &dwarf_bias)) {
            s->dwarf_ = std::make_unique<DwarfIndex>(dw, dwarf_bias);
            s->has_dwarf_ = true;
            if (!s->dwarf_->problem.empty()) s->damage_.push_back(s->dwarf_->problem);
        } else if (has_debug_info_section(elf)) {
            s->damage_.push_back(std::string(".debug_info: unusable (") + dwfl_errmsg(-1) + ")");
        }
        s->note_damage(elf, "");
        return s;
    }
    auto unusable = [&](const std::string& why) {
        return make_error(binary.path + ": separate debug file " + binary.debug_path + " unusable: " + why);
    };
    s->debug_fd_ = ::open(binary.debug_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (s->debug_fd_ < 0) return unusable(std::strerror(errno));
    s->debug_elf_ = elf_begin(s->debug_fd_, ELF_C_READ_MMAP_PRIVATE, nullptr);
    if (!s->debug_elf_ || elf_kind(s->debug_elf_) != ELF_K_ELF) return unusable(std::string("not ELF: ") + elf_errmsg(-1));
    s->inflater_.prepare(s->debug_elf_);
    if (!s->inflater_.failed().empty()) return unusable("compressed section(s) " + s->inflater_.failed() + " do not decompress");
    s->debug_dwarf_ = dwarf_begin_elf(s->debug_elf_, DWARF_C_READ, nullptr);
    if (!s->debug_dwarf_) return unusable(dwarf_errmsg(-1));
    // Module addresses in the debug file: its segments are the binary's, so the binary's bias,
    // moved by any difference in where the first segment starts (as libdwfl relates them).
    const uint64_t main_load = first_load_address(elf);
    const uint64_t debug_load = first_load_address(s->debug_elf_);
    const uint64_t dwarf_bias = main_load != ~0ull && debug_load != ~0ull ? bias + main_load - debug_load : bias;
    s->dwarf_ = std::make_unique<DwarfIndex>(s->debug_dwarf_, dwarf_bias);
    s->has_dwarf_ = true;
    s->note_damage(elf, "");
    s->note_damage(s->debug_elf_, binary.debug_path + ": ");
    if (!s->dwarf_->problem.empty()) s->damage_.push_back(binary.debug_path + ": " + s->dwarf_->problem);
    return s;
}

void BinarySymbols::note_damage(Elf* elf, const std::string& prefix) {
    for (auto& d : elf_damage(elf)) damage_.push_back(prefix + d);
}

BinarySymbols::~BinarySymbols() {
    dwarf_.reset();  // the indexes point into libdw's data
    if (debug_dwarf_) dwarf_end(debug_dwarf_);
    if (debug_elf_) elf_end(debug_elf_);
    if (debug_fd_ >= 0) ::close(debug_fd_);
    if (dwfl_) dwfl_end(dwfl_);
}

uint64_t BinarySymbols::elf_vaddr(uint64_t file_offset) const {
    for (const auto& seg : segments_)
        if (file_offset >= seg.offset && file_offset - seg.offset < seg.filesz) return file_offset - seg.offset + seg.vaddr;
    return ~0ull;
}

const std::vector<SymbolizedFrame>& BinarySymbols::resolve(uint64_t file_offset) {
    auto it = cache_.find(file_offset);
    if (it == cache_.end()) it = cache_.emplace(file_offset, lookup(file_offset)).first;
    return it->second;
}

const char* BinarySymbols::symbol_at(uint64_t module_addr) {
    if (!symbols_) symbols_ = std::make_unique<SymbolIndex>(module_);
    return symbols_->find(module_addr);
}

namespace {
// A symbol-table name as a frame, demangled. Compiler clones of a function (GCC's ".cold"
// split-off part, ".part.N", ".constprop.N", ".isra.N", LLVM's ".llvm.N") are named as the
// function itself, as DWARF names them.
void name_from_symbol(const char* sym, SymbolizedFrame& f) {
    std::string linkage = sym;
    if (linkage.size() > 2 && linkage[0] == '_' && linkage[1] == 'Z') {
        if (const size_t dot = linkage.find('.'); dot != std::string::npos) linkage.resize(dot);
    } else if (linkage.size() > 5 && linkage.compare(linkage.size() - 5, 5, ".cold") == 0) {
        linkage.resize(linkage.size() - 5);
    }
    f.function = demangle(linkage.c_str());
    f.mangled = f.function != linkage ? linkage : "";
}
}  // namespace

std::vector<SymbolizedFrame> BinarySymbols::lookup(uint64_t file_offset) {
    std::vector<SymbolizedFrame> frames;
    const uint64_t vaddr = elf_vaddr(file_offset);
    if (vaddr == ~0ull) return frames;
    const Dwarf_Addr addr = vaddr + bias_;

    // The innermost line comes from the line table; each inlined call site gives the line
    // of the frame that contains it.
    std::string file;
    int64_t line = 0;
    if (CuIndex* cu = dwarf_ ? dwarf_->find(addr - dwarf_->bias) : nullptr) {
        const Dwarf_Addr dwarf_addr = addr - dwarf_->bias;
        int32_t id = cu->find(dwarf_addr);
        if (id >= 0) {
            if (Dwarf_Line* l = dwarf_getsrc_die(&cu->cu, dwarf_addr)) {
                int lineno = 0;
                const char* src = dwarf_linesrc(l, nullptr, nullptr);
                file = src ? src : "";
                if (dwarf_lineno(l, &lineno) == 0) line = lineno;
            }
            for (uint32_t depth = 0; id >= 0 && depth <= kMaxDepth; ++depth) {
                const CuIndex::Scope& s = cu->describe(id);
                SymbolizedFrame f = s.frame;
                f.file = std::move(file);
                f.line = line;
                frames.push_back(std::move(f));
                if (!s.inlined) break;
                file = s.call_file;
                line = s.call_line;
                id = s.parent;
            }
        }
    }
    if (!frames.empty() && !frames.back().inlined) {
        // DWARF names some functions worse than the symbol table: lambdas and other functions
        // without a linkage name, nameless DIEs.
        SymbolizedFrame& f = frames.back();
        if (f.mangled.empty())
            if (const char* sym = symbol_at(addr); sym && (f.function.empty() || (sym[0] == '_' && sym[1] == 'Z')))
                name_from_symbol(sym, f);
    } else if (const char* sym = symbol_at(addr)) {
        // No DWARF function covers it: the ELF symbol tables name the physical function.
        SymbolizedFrame f;
        name_from_symbol(sym, f);
        if (!frames.empty()) {  // inlined into a function DWARF does not describe
            f.file = std::move(file);
            f.line = line;
        }
        frames.push_back(std::move(f));
    }
    for (auto& f : frames)
        if (f.function.empty()) f.function = "[unknown]";
    return frames;
}

}  // namespace kiln::analyzer
