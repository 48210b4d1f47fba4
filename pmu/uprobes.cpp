// uprobe/uretprobe specs: parsing, symbol to file offset through libelf, the uprobe PMU's sysfs.
#include "pmu/uprobes.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "pmu/elf_file.h"
#include "pmu/suggest.h"

namespace kiln::pmu {

namespace {

constexpr std::string_view kUprobe = "uprobe:";
constexpr std::string_view kUretprobe = "uretprobe:";
constexpr const char* kSyntax = "expected uprobe:PATH:SYMBOL[+OFFSET] or uretprobe:PATH:SYMBOL, e.g. uprobe:/usr/bin/bash:readline";

std::optional<uint64_t> parse_number(std::string_view s) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// What the symbol tables say about one name.
struct Lookup {
    std::optional<GElf_Sym> function;  // the defined STT_FUNC chosen
    bool ifunc = false, undefined = false, not_function = false, has_symtab = false;
    std::vector<std::string> functions;        // every defined function name, for suggestions
    std::vector<std::string> implementations;  // __SYMBOL_* functions: what an IFUNC may pick
};

// Picks, among the defined functions named symbol in one table, the default version
// (memcpy@@GLIBC_2.14 over the compat memcpy@GLIBC_2.2.5) and global over local binding.
// versym: the .gnu.version data of a .dynsym, else null.
void scan_table(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, Elf_Data* versym, std::string_view symbol, Lookup& out) {
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || shdr.sh_entsize == 0) return;
    const size_t count = shdr.sh_size / shdr.sh_entsize;
    std::optional<GElf_Sym> best;
    int best_rank = -1;
    for (size_t i = 1; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
        const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (!name || !*name) continue;
        const int type = GELF_ST_TYPE(sym.st_info);
        const bool defined = sym.st_shndx != SHN_UNDEF;
        const bool code = type == STT_FUNC || type == STT_GNU_IFUNC;
        if (defined && code) out.functions.emplace_back(name);
        if (defined && type == STT_FUNC && std::string_view(name).starts_with("__" + std::string(symbol) + "_"))
            out.implementations.emplace_back(name);
        if (symbol != name) continue;
        if (!defined) {
            out.undefined = true;
            continue;
        }
        if (!code) {
            out.not_function = true;
            continue;
        }
        GElf_Versym ver = 0;
        const bool hidden = versym && gelf_getversym(versym, static_cast<int>(i), &ver) && (ver & 0x8000) != 0;
        const int rank = (hidden ? 0 : 2) + (GELF_ST_BIND(sym.st_info) != STB_LOCAL ? 1 : 0);
        if (rank > best_rank) {
            best = sym;
            best_rank = rank;
        }
    }
    if (!best || out.function) return;
    if (GELF_ST_TYPE(best->st_info) == STT_GNU_IFUNC)
        out.ifunc = true;
    else
        out.function = best;
}

Elf_Data* versym_data(Elf* elf) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_GNU_versym) return elf_getdata(scn, nullptr);
    }
    return nullptr;
}

Error unknown_symbol(const std::string& path, std::string_view symbol, const Lookup& l, bool any_table) {
    const std::string sym(symbol);
    if (!any_table) return make_error(path + " has no symbol table (.symtab or .dynsym): it is stripped, so '" + sym +
                                      "' cannot be found; probe an unstripped build");
    if (l.undefined)
        return make_error("'" + sym + "' is not defined in " + path +
                          " (it is imported): probe the shared library that defines it, e.g. uprobe:LIBRARY:" + sym +
                          " with LIBRARY from `ldd " + path + "`");
    if (l.not_function) return make_error("'" + sym + "' in " + path + " is not a function");
    std::string msg = "no function '" + sym + "' in " + path;
    const auto close = closest_names(symbol, l.functions);
    if (!close.empty()) {
        msg += "; did you mean";
        for (size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : " ") + close[i];
        msg += "?";
    } else if (l.has_symtab) {
        msg += " (`nm " + path + "` lists its functions)";
    }
    if (!l.has_symtab)
        msg += "; " + path + " is stripped (no .symtab): only the functions it exports can be probed (`nm -D " + path + "`)";
    return make_error(msg);
}

Error ifunc_error(const std::string& path, std::string_view symbol, const Lookup& l) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
    std::string msg = "'";
    msg += symbol;
    msg += "' in " + path +
           " is an IFUNC: its resolver picks an implementation when the binary is loaded, so a probe "
           "on it would not fire per call. Probe the implementation instead";
    for (size_t i = 0; i < l.implementations.size() && i < 4; ++i) msg += (i ? ", " : ": ") + l.implementations[i];
    if (l.implementations.empty())
        msg += " (glibc names them __" + std::string(symbol) + "_avx2 and the like; a stripped library lists them "
               "only in its debug file)";
    return make_error(msg);
}

Result<std::string> read_line(const std::string& path) {
    std::ifstream f(path);
    std::string line;
    if (!f) return make_error(std::strerror(errno));
    if (!std::getline(f, line)) return make_error("empty file");
    return line;
}

}  // namespace

bool is_uprobe_spec(std::string_view spec) { return spec.starts_with(kUprobe) || spec.starts_with(kUretprobe); }

Result<UprobeSpec> parse_uprobe_spec(std::string_view spec) {
    UprobeSpec s;
    s.retprobe = spec.starts_with(kUretprobe);
    if (!s.retprobe && !spec.starts_with(kUprobe)) return make_error("bad probe '" + std::string(spec) + "': " + kSyntax);
    const std::string_view rest = spec.substr(s.retprobe ? kUretprobe.size() : kUprobe.size());
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size())
        return make_error("bad probe '" + std::string(spec) + "': " + kSyntax);
    s.path = std::string(rest.substr(0, colon));
    std::string_view symbol = rest.substr(colon + 1);
    if (const size_t plus = symbol.find('+'); plus != std::string_view::npos) {
        const auto offset = parse_number(symbol.substr(plus + 1));
        if (!offset)
            return make_error("bad offset in probe '" + std::string(spec) +
                              "': expected SYMBOL+OFFSET with OFFSET in bytes, decimal or 0x hex");
        if (s.retprobe)
            return make_error("bad probe '" + std::string(spec) +
                              "': a uretprobe fires when the function returns and takes no +OFFSET");
        s.offset = *offset;
        s.offset_text = std::string(symbol.substr(plus));
        symbol = symbol.substr(0, plus);
    }
    if (symbol.empty()) return make_error("bad probe '" + std::string(spec) + "': " + kSyntax);
    s.symbol = std::string(symbol);
    return s;
}

Result<SymbolOffset> find_function(const std::string& path, std::string_view symbol) {
    if (!libelf_ready()) return make_error(std::string("libelf failed to initialize: ") + elf_errmsg(-1));
    ElfFile f;
    // O_NONBLOCK: naming a FIFO must not hang.
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f.fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
    struct stat st{};
    if (::fstat(f.fd, &st) != 0) return make_error("cannot stat " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return make_error(path + " is not a regular file");
    f.elf = elf_begin(f.fd, ELF_C_READ, nullptr);
    GElf_Ehdr ehdr;
    if (!f.elf || elf_kind(f.elf) != ELF_K_ELF || !gelf_getehdr(f.elf, &ehdr))
        return make_error(path + " is not an ELF file");
    if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN)
        return make_error(path + " is not an executable or shared library (ELF type " + std::to_string(ehdr.e_type) + ")");

    Lookup l;
    bool any_table = false;
    for (const Elf64_Word table : {SHT_SYMTAB, SHT_DYNSYM}) {
        for (Elf_Scn* scn = elf_nextscn(f.elf, nullptr); scn; scn = elf_nextscn(f.elf, scn)) {
            GElf_Shdr shdr;
            if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != table) continue;
            any_table = true;
            l.has_symtab = l.has_symtab || table == SHT_SYMTAB;
            scan_table(f.elf, scn, shdr, table == SHT_DYNSYM ? versym_data(f.elf) : nullptr, symbol, l);
        }
        if (l.function || l.ifunc) break;
    }
    if (!l.function) return l.ifunc ? ifunc_error(path, symbol, l) : unknown_symbol(path, symbol, l, any_table);

    const uint64_t vaddr = l.function->st_value;
    size_t phnum = 0;
    if (elf_getphdrnum(f.elf, &phnum) != 0) return make_error(path + ": cannot read its program headers");
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (!gelf_getphdr(f.elf, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
        if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz)
            return SymbolOffset{vaddr - ph.p_vaddr + ph.p_offset, l.function->st_size};
    }
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(vaddr));
    return make_error("'" + std::string(symbol) + "' in " + path + " is at " + hex + ", in no loaded segment of the file");
}

Result<UprobePmu> uprobe_pmu(const std::string& sysfs_dir) {
    const std::string type_path = sysfs_dir + "/type";
    auto type = read_line(type_path);
    if (!type)
        return make_error("this kernel has no uprobe PMU (cannot read " + type_path + ": " + type.error().message +
                          "); uprobes need Linux 4.17 or later built with CONFIG_UPROBE_EVENTS");
    const auto type_number = parse_number(*type);
    if (!type_number || *type_number > UINT32_MAX) return make_error(type_path + " does not hold a PMU type number");
    const std::string format_path = sysfs_dir + "/format/retprobe";
    auto format = read_line(format_path);
    if (!format) return make_error("cannot read the uprobe PMU's retprobe bit from " + format_path + ": " + format.error().message);
    // "config:N" (a one-bit field; "config:N-M" would be a range, which retprobe never is).
    const std::string_view field(*format);
    const auto bit = field.starts_with("config:") ? parse_number(field.substr(7)) : std::nullopt;
    if (!bit || *bit > 63)
        return make_error(format_path + " says '" + *format + "'; expected config:BIT");
    return UprobePmu{static_cast<uint32_t>(*type_number), *bit};
}

Result<ResolvedEvent> make_uprobe_event(std::string_view spec, const std::string& sysfs_dir) {
    auto s = parse_uprobe_spec(spec);
    if (!s) return s.error();
    std::error_code ec;
    const std::string path = std::filesystem::absolute(s->path, ec).lexically_normal().string();
    if (ec) return make_error("probe '" + std::string(spec) + "': cannot make " + s->path + " absolute: " + ec.message());
    auto fn = find_function(path, s->symbol);
    if (!fn) return make_error("probe '" + std::string(spec) + "': " + fn.error().message);
    if (s->offset != 0 && fn->size != 0 && s->offset >= fn->size)
        return make_error("probe '" + std::string(spec) + "': " + s->offset_text.substr(1) + " bytes is past the end of '" +
                          s->symbol + "' (" + std::to_string(fn->size) + " bytes long)");
    auto pmu = uprobe_pmu(sysfs_dir);
    if (!pmu) return make_error("cannot use probe '" + std::string(spec) + "': " + pmu.error().message);

    ResolvedEvent ev;
    ev.name = std::string(s->retprobe ? kUretprobe : kUprobe) + path + ":" + s->symbol + s->offset_text;
    ev.requested = std::string(spec);
    ev.kind = EventKind::kUprobe;
    ev.probe_path = path;
    ev.attr.size = sizeof(perf_event_attr);
    ev.attr.type = pmu->type;
    ev.attr.config = s->retprobe ? uint64_t{1} << pmu->retprobe_bit : 0;
    ev.attr.config1 = 0;  // the recorder points it at probe_path when it opens the event
    ev.attr.config2 = fn->file_offset + s->offset;
    return ev;
}

}  // namespace kiln::pmu
