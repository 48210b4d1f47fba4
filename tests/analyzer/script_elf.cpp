#include "tests/analyzer/script_elf.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace kiln::testing {

std::optional<uint64_t> ElfInfo::file_offset(uint64_t vaddr) const {
    for (const auto& l : exec_loads)
        if (vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz) return vaddr - l.vaddr + l.offset;
    return std::nullopt;
}

std::string ElfInfo::function_at(uint64_t vaddr) const {
    for (const auto& [name, f] : symbols)
        if (vaddr >= f.vaddr && vaddr < f.vaddr + f.size) return name;
    return "";
}

Result<uint64_t> ElfInfo::return_address_of_call(const std::string& caller, const std::string& callee) const {
    auto from = symbols.find(caller);
    auto to = symbols.find(callee);
    if (from == symbols.end()) return make_error("no function " + caller);
    if (to == symbols.end()) return make_error("no function " + callee);
    const auto start = file_offset(from->second.vaddr);
    if (!start || *start + from->second.size > bytes.size()) return make_error(caller + " is not in the file's code");
    // A call rel32 is 5 bytes: e8, then the target relative to the next instruction.
    for (uint64_t at = 0; at + 5 <= from->second.size; ++at) {
        if (bytes[*start + at] != 0xe8) continue;
        int32_t rel = 0;
        std::memcpy(&rel, bytes.data() + *start + at + 1, 4);
        const uint64_t next = from->second.vaddr + at + 5;
        if (next + static_cast<uint64_t>(static_cast<int64_t>(rel)) == to->second.vaddr) return next;
    }
    return make_error(caller + " has no direct call to " + callee);
}

Result<ElfInfo> read_elf(const std::string& path) {
    ElfInfo info;
    {
        std::ifstream f(path, std::ios::binary);
        if (!f) return make_error("cannot open " + path);
        info.bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    elf_version(EV_CURRENT);
    Elf* elf = elf_memory(reinterpret_cast<char*>(info.bytes.data()), info.bytes.size());
    if (!elf) return make_error(path + ": not an ELF file");
    size_t nph = 0;
    elf_getphdrnum(elf, &nph);
    for (size_t i = 0; i < nph; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
            info.exec_loads.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz});
    }
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        gelf_getshdr(scn, &sh);
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data) continue;
        if (sh.sh_type == SHT_SYMTAB) {
            const size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t i = 0; i < n; ++i) {
                GElf_Sym sym;
                if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
                const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
                if (name && sym.st_value) info.symbols[name] = {sym.st_value, sym.st_size};
            }
        } else if (sh.sh_type == SHT_NOTE) {
            size_t off = 0, name_off, desc_off;
            GElf_Nhdr nh;
            while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0)
                if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4) {
                    const auto* d = static_cast<const uint8_t*>(data->d_buf) + desc_off;
                    info.build_id.assign(d, d + nh.n_descsz);
                }
        }
    }
    elf_end(elf);
    if (info.exec_loads.empty()) return make_error(path + ": no executable PT_LOAD");
    return info;
}

}  // namespace kiln::testing
