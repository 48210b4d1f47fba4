// DebugSectionInflater on real compressed debug files: which sections it decompresses, which it
// hides from libdw, and that what it leaves is what libdw would have read.
#include "analyzer/symbolize/debug_sections.h"

#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/analyzer/symbolize/elf_test_util.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

struct Section {
    bool compressed = false;
    bool nobits = false;
    std::vector<uint8_t> bytes;  // the data libdw would get from elf_getdata
};

// The .debug_* sections of an open ELF as elf_getdata gives them.
std::map<std::string, Section> debug_sections(Elf* elf) {
    std::map<std::string, Section> out;
    size_t shstrndx = 0;
    EXPECT_EQ(elf_getshdrstrndx(elf, &shstrndx), 0);
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn)) != nullptr;) {
        GElf_Shdr shdr;
        EXPECT_TRUE(gelf_getshdr(scn, &shdr));
        const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (!name || std::strncmp(name, ".debug_", 7) != 0) continue;
        Section& s = out[name];
        s.compressed = shdr.sh_flags & SHF_COMPRESSED;
        s.nobits = shdr.sh_type == SHT_NOBITS;
        if (s.nobits) continue;
        if (s.compressed) {
            EXPECT_EQ(elf_compress(scn, 0, 0), 1) << name;  // libelf's own (zlib) path
        }
        Elf_Data* d = elf_getdata(scn, nullptr);
        EXPECT_TRUE(d) << name;
        if (d && d->d_buf) s.bytes.assign(static_cast<uint8_t*>(d->d_buf), static_cast<uint8_t*>(d->d_buf) + d->d_size);
        EXPECT_EQ(gelf_getshdr(scn, &shdr)->sh_size, s.bytes.size()) << name;
    }
    return out;
}

TEST(DebugSectionInflater, DecompressesWhatLibdwReadsAndHidesLocationLists) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string plain = dir + "/plain.debug", packed = dir + "/packed.debug";
    kiln::testing::shell(std::string("objcopy --only-keep-debug ") + TARGET_PIE + " " + plain +
                         " && objcopy --compress-debug-sections=zlib " + plain + " " + packed);
    elf_version(EV_CURRENT);
    const int plain_fd = ::open(plain.c_str(), O_RDONLY), packed_fd = ::open(packed.c_str(), O_RDONLY);
    ASSERT_GE(plain_fd, 0);
    ASSERT_GE(packed_fd, 0);
    Elf* plain_elf = elf_begin(plain_fd, ELF_C_READ_MMAP_PRIVATE, nullptr);
    Elf* packed_elf = elf_begin(packed_fd, ELF_C_READ_MMAP_PRIVATE, nullptr);
    ASSERT_TRUE(plain_elf && packed_elf);
    const auto expected = debug_sections(plain_elf);
    {
        DebugSectionInflater inflater;
        inflater.prepare(packed_elf);
        EXPECT_EQ(inflater.failed(), "");
        const auto got = debug_sections(packed_elf);
        ASSERT_TRUE(got.count(".debug_info") && got.count(".debug_loclists")) << "gcc -O2 -g gave no location lists";
        EXPECT_TRUE(got.at(".debug_loclists").nobits);
        size_t compared = 0;
        for (const auto& [name, section] : got) {
            if (section.nobits) continue;
            EXPECT_FALSE(section.compressed) << name << " left compressed";
            EXPECT_EQ(section.bytes, expected.at(name).bytes) << name;
            ++compared;
        }
        EXPECT_GE(compared, 3u);
        EXPECT_EQ(inflater.hidden(), 1u);
        EXPECT_GE(inflater.inflated(), 3u);
        elf_end(packed_elf);  // before the inflater frees the bytes it lent
    }
    elf_end(plain_elf);
    ::close(plain_fd);
    ::close(packed_fd);
}

}  // namespace
}  // namespace kiln::analyzer
