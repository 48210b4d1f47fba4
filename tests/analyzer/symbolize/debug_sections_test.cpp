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

// A compression header claiming 4 GiB for a few hundred bytes (a damaged or hostile file;
// elf_binary_fuzzer's elf-gz-chdr-claims-4gib) is refused before anything is allocated for
// it: the section is named as failed and left compressed, for zlib and zstd alike.
TEST(DebugSectionInflater, SizeBeyondWhatTheStreamCanHoldIsRefused) {
    for (const char* kind : {"zlib", "zstd"}) {
        const kiln::test::TempDir tmp;
        const std::string packed = tmp.path("packed.debug");
        kiln::testing::shell(std::string("objcopy --only-keep-debug --compress-debug-sections=") + kind + " " +
                             TARGET_PIE + " " + packed);
        // Elf64_Chdr: ch_type, ch_reserved, then ch_size at +8.
        kiln::testing::shell("off=0x$(readelf -W -S " + packed + " | sed 's/^ *\\[ *[0-9]*\\]//' | " +
                             "awk '$1==\".debug_info\"{print $4}') && printf '\\377\\377\\377\\377' | dd of=" +
                             packed + " bs=1 seek=$((off + 8)) conv=notrunc status=none");
        elf_version(EV_CURRENT);
        const int fd = ::open(packed.c_str(), O_RDONLY);
        ASSERT_GE(fd, 0);
        Elf* elf = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, nullptr);
        ASSERT_TRUE(elf);
        {
            DebugSectionInflater inflater;
            inflater.prepare(elf);
            EXPECT_NE(inflater.failed().find(".debug_info"), std::string::npos) << kind << ": " << inflater.failed();
            size_t names = 0;
            ASSERT_EQ(elf_getshdrstrndx(elf, &names), 0);
            bool still_compressed = false;
            for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn)) != nullptr;) {
                GElf_Shdr sh;
                const char* name = gelf_getshdr(scn, &sh) ? elf_strptr(elf, names, sh.sh_name) : nullptr;
                if (name && std::strcmp(name, ".debug_info") == 0) still_compressed = sh.sh_flags & SHF_COMPRESSED;
            }
            EXPECT_TRUE(still_compressed) << kind;
            elf_end(elf);
        }
        ::close(fd);
    }
}

}  // namespace
}  // namespace kiln::analyzer
