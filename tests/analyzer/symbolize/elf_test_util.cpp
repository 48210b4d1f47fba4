#include "tests/analyzer/symbolize/elf_test_util.h"

#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace kiln::testing {

namespace {
template <typename Fn>
void with_elf(const std::string& path, Fn fn) {
    elf_version(EV_CURRENT);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << path;
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    ASSERT_NE(elf, nullptr) << path;
    fn(elf);
    elf_end(elf);
    close(fd);
}
}  // namespace

ElfSymbol find_symbol(const std::string& path, const std::string& name) {
    ElfSymbol out;
    with_elf(path, [&](Elf* elf) {
        for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
            GElf_Shdr sh;
            gelf_getshdr(scn, &sh);
            if (sh.sh_type != SHT_SYMTAB) continue;
            Elf_Data* data = elf_getdata(scn, nullptr);
            for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; ++i) {
                GElf_Sym sym;
                if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
                const char* n = elf_strptr(elf, sh.sh_link, sym.st_name);
                if (n && name == n && GELF_ST_TYPE(sym.st_info) == STT_FUNC) out = {sym.st_value, sym.st_size};
            }
        }
    });
    return out;
}

uint64_t file_offset_of(const std::string& path, uint64_t vaddr) {
    uint64_t out = ~0ull;
    with_elf(path, [&](Elf* elf) {
        size_t n = 0;
        elf_getphdrnum(elf, &n);
        for (size_t i = 0; i < n; ++i) {
            GElf_Phdr ph;
            if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
                vaddr < ph.p_vaddr + ph.p_filesz)
                out = vaddr - ph.p_vaddr + ph.p_offset;
        }
    });
    return out;
}

int marker_line(const std::string& source, const std::string& marker) {
    std::ifstream in(source);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
        if (line.find(marker) != std::string::npos) return n;
    ADD_FAILURE() << marker << " not in " << source;
    return -1;
}

void shell(const std::string& cmd) { ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd; }

std::vector<uint8_t> build_id_of(const std::string& path) {
    auto id = analyzer::read_elf_build_id(path);
    EXPECT_TRUE(id.ok()) << path;
    EXPECT_EQ(id.ok() ? id->size() : 0u, 20u) << path;
    return id.ok() ? *id : std::vector<uint8_t>{};
}

analyzer::LocatorOptions no_system_dirs() {
    analyzer::LocatorOptions o;
    o.debug_dirs.clear();
    o.use_debuginfod = false;
    return o;
}

}  // namespace kiln::testing
