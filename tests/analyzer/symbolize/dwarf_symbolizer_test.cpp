// The symbolizer on test binaries built by this project: demangled names, inline chains with
// call-site lines, PIE, fixed-address, lld-linked and shared-library layouts, and stripped
// binaries whose DWARF lives in a separate debug file.
#include "analyzer/symbolize/dwarf_symbolizer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "formats/sideband.h"
#include "tests/analyzer/symbolize/elf_test_util.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

using kiln::testing::file_offset_of;
using kiln::testing::find_symbol;
using kiln::testing::marker_line;

const char* kSpin = "_ZN4demo6Widget4spinEi";

bool is_inner_step(const std::string& name);

// Resolves every byte address of Widget::spin: each names spin as the physical function, and
// where inner_step was inlined the caller frame carries the call-site line. Returns an inline
// chain whose innermost line is inner_step's body (a compiler may attribute some inlined
// instructions to the call-site line instead; those are checked for the caller line only).
std::vector<SymbolizedFrame> inlined_frames(BinarySymbols& syms, const std::string& path) {
    const auto spin = find_symbol(path, kSpin);
    EXPECT_GT(spin.size, 0u) << path;
    const int call_site = marker_line(TARGET_SOURCE, "LINE:call_site");
    std::vector<SymbolizedFrame> found;
    for (uint64_t a = spin.vaddr; a < spin.vaddr + spin.size; ++a) {
        const auto& frames = syms.resolve(file_offset_of(path, a));
        EXPECT_FALSE(frames.empty()) << std::hex << a;
        if (frames.empty()) continue;
        EXPECT_EQ(frames.back().function, "demo::Widget::spin(int)") << std::hex << a;
        EXPECT_FALSE(frames.back().inlined);
        EXPECT_LE(frames.size(), 2u) << std::hex << a;
        if (frames.size() != 2) continue;
        EXPECT_TRUE(is_inner_step(frames[0].function)) << frames[0].function;
        EXPECT_EQ(frames[1].line, call_site) << std::hex << a;
        if (found.empty() && frames[0].line == marker_line(TARGET_SOURCE, "LINE:inner_body")) found = frames;
    }
    return found;
}

// GCC names a static function by its plain name, clang by its (internal) linkage name.
bool is_inner_step(const std::string& name) { return name == "inner_step" || name == "demo::inner_step(int)"; }

void check_binary(const LocatedBinary& b, const std::string& symbols_path) {
    auto syms = BinarySymbols::open(b);
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    EXPECT_TRUE((*syms)->has_dwarf());
    for (const auto& d : (*syms)->damage()) ADD_FAILURE() << "an intact binary called damaged: " << d;
    const auto spin = find_symbol(symbols_path, kSpin);
    EXPECT_EQ((*syms)->elf_vaddr(file_offset_of(symbols_path, spin.vaddr)), spin.vaddr);
    auto frames = inlined_frames(**syms, symbols_path);
    ASSERT_EQ(frames.size(), 2u) << "no address of spin resolved to inner_step's body inlined into spin";
    EXPECT_TRUE(is_inner_step(frames[0].function)) << frames[0].function;
    EXPECT_TRUE(frames[0].inlined);
    EXPECT_EQ(frames[0].line, marker_line(TARGET_SOURCE, "LINE:inner_body"));
    EXPECT_EQ(frames[0].function_start_line, marker_line(TARGET_SOURCE, "LINE:inner_def"));
    EXPECT_EQ(std::filesystem::path(frames[0].file).filename(), "symbolize_target.cc");
    EXPECT_EQ(frames[1].function, "demo::Widget::spin(int)");
    EXPECT_EQ(frames[1].mangled, kSpin);
    EXPECT_FALSE(frames[1].inlined);
    EXPECT_EQ(frames[1].line, marker_line(TARGET_SOURCE, "LINE:call_site"));
    EXPECT_EQ(frames[1].function_start_line, marker_line(TARGET_SOURCE, "LINE:spin_def"));
    EXPECT_EQ(std::filesystem::path(frames[1].file).filename(), "symbolize_target.cc");
    // main, from the same binary, without inlining, at its first line.
    const auto m = find_symbol(symbols_path, "main");
    const auto& mf = (*syms)->resolve(file_offset_of(symbols_path, m.vaddr));
    ASSERT_EQ(mf.size(), 1u);
    EXPECT_EQ(mf[0].function, "main");
    EXPECT_EQ(mf[0].mangled, "");
    EXPECT_EQ(mf[0].function_start_line, marker_line(TARGET_SOURCE, "LINE:main_def"));
    EXPECT_GE(mf[0].line, marker_line(TARGET_SOURCE, "LINE:main_def"));
    EXPECT_LE(mf[0].line, marker_line(TARGET_SOURCE, "LINE:main_def") + 3);
    // Cached: the same answer, from the same storage.
    EXPECT_EQ(&(*syms)->resolve(file_offset_of(symbols_path, m.vaddr)), &mf);
    // An offset outside every loaded segment resolves to nothing.
    EXPECT_TRUE((*syms)->resolve(1ull << 40).empty());
}

TEST(DwarfSymbolizer, PieExecutable) { check_binary({TARGET_PIE, "", "test"}, TARGET_PIE); }

TEST(DwarfSymbolizer, FixedAddressExecutable) { check_binary({TARGET_NOPIE, "", "test"}, TARGET_NOPIE); }

// lld puts the text segment at p_vaddr = p_offset + 0x1000: file offsets are not addresses.
TEST(DwarfSymbolizer, LldLinkedPieWithOffsetsUnlikeAddresses) {
    ASSERT_FALSE(std::string(TARGET_LLD).empty()) << "ld.lld is needed for this layout; tools/install-deps installs lld";
    const auto spin = find_symbol(TARGET_LLD, kSpin);
    ASSERT_NE(file_offset_of(TARGET_LLD, spin.vaddr), spin.vaddr) << "layout no longer tests the conversion";
    check_binary({TARGET_LLD, "", "test"}, TARGET_LLD);
}

// A shared library whose first segment is at 0x10000000, not 0.
TEST(DwarfSymbolizer, SharedLibraryLinkedAtNonZeroBase) {
    const auto spin = find_symbol(TARGET_LIB, kSpin);
    ASSERT_GE(spin.vaddr, 0x10000000u);
    check_binary({TARGET_LIB, "", "test"}, TARGET_LIB);
}

TEST(DwarfSymbolizer, StrippedBinaryWithSeparateDebugFile) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string bin = dir + "/app", debug = dir + "/app.debug";
    kiln::testing::shell(std::string("cp ") + TARGET_PIE + " " + bin + " && objcopy --only-keep-debug " + bin + " " +
                         debug + " && strip --strip-all " + bin);
    EXPECT_EQ(find_symbol(bin, kSpin).size, 0u) << "strip left the symbol table";
    // Without the debug file: only dynamic symbols remain, spin is not among them.
    auto bare = BinarySymbols::open({bin, "", "test"});
    ASSERT_TRUE(bare.ok());
    EXPECT_FALSE((*bare)->has_dwarf());
    check_binary({bin, debug, "test"}, TARGET_PIE);
}

// Distributions ship detached debug files with compressed sections (Debian: zlib; newer
// toolchains: zstd, which libdw 0.188 cannot read by itself). debug_sections.h decompresses them.
void check_compressed_debug_file(const std::string& kind) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string bin = dir + "/app", debug = dir + "/app.debug";
    kiln::testing::shell(std::string("cp ") + TARGET_PIE + " " + bin + " && objcopy --only-keep-debug --compress-debug-sections=" +
                         kind + " " + bin + " " + debug + " && strip --strip-all " + bin);
    kiln::testing::shell("readelf -W -t " + debug + " 2>/dev/null | grep -qi '" + kind + "'");
    check_binary({bin, debug, "test"}, TARGET_PIE);
}

TEST(DwarfSymbolizer, SeparateDebugFileWithZlibCompressedSections) { check_compressed_debug_file("zlib"); }

TEST(DwarfSymbolizer, SeparateDebugFileWithZstdCompressedSections) { check_compressed_debug_file("zstd"); }

TEST(DwarfSymbolizer, ExecutableWithCompressedDebugSections) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string bin = dir + "/app";
    kiln::testing::shell(std::string("objcopy --compress-debug-sections=zlib ") + TARGET_PIE + " " + bin);
    check_binary({bin, "", "test"}, bin);
}

// A debug file whose .debug_info does not decompress: an error naming the file, no crash.
TEST(DwarfSymbolizer, CorruptCompressedDebugFileIsAnErrorNamingIt) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string bin = dir + "/app", debug = dir + "/app.debug";
    kiln::testing::shell(std::string("cp ") + TARGET_PIE + " " + bin + " && objcopy --only-keep-debug --compress-debug-sections=zlib " +
                         bin + " " + debug + " && strip --strip-all " + bin);
    // Overwrite the compressed stream of .debug_info past its 24-byte Chdr and 2-byte zlib header.
    kiln::testing::shell("off=0x$(readelf -W -S " + debug + " | awk '$2==\".debug_info\"{print $5}') && " +
                         "printf '\\377\\377\\377\\377\\377\\377\\377\\377' | dd of=" + debug +
                         " bs=1 seek=$((off + 26)) conv=notrunc status=none");
    auto syms = BinarySymbols::open({bin, debug, "test"});
    ASSERT_FALSE(syms.ok());
    EXPECT_NE(syms.error().message.find(debug), std::string::npos) << syms.error().message;
    EXPECT_NE(syms.error().message.find(".debug_info do not decompress"), std::string::npos) << syms.error().message;
}

TEST(DwarfSymbolizer, SymbolTableOnlyBinaryStillNamesFunctions) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string bin = dir + "/app";
    kiln::testing::shell(std::string("cp ") + TARGET_PIE + " " + bin + " && strip --strip-debug " + bin);
    auto syms = BinarySymbols::open({bin, "", "test"});
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    EXPECT_FALSE((*syms)->has_dwarf());
    const auto spin = find_symbol(bin, kSpin);
    const auto& frames = (*syms)->resolve(file_offset_of(bin, spin.vaddr + 4));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].function, "demo::Widget::spin(int)");
    EXPECT_EQ(frames[0].mangled, kSpin);
    EXPECT_EQ(frames[0].line, 0);
}

// A section overwritten with 0xff bytes (lengths and indexes that point past everything) is
// named in damage(); the binary still opens and what survived still names functions.
std::vector<std::string> damage_after_overwriting(const std::string& section) {
    const kiln::test::TempDir tmp;
    const std::string bin = tmp.path("app");
    kiln::testing::shell(std::string("cp ") + TARGET_PIE + " " + bin + " && set -- $(readelf -W -S " + bin +
                         " | sed 's/^ *\\[ *[0-9]*\\]//' | awk '$1==\"" + section + "\"{print $4, $5}') && " +
                         "test -n \"$1\" && head -c $((0x$2)) /dev/zero | tr '\\0' '\\377' | dd of=" + bin +
                         " bs=1 seek=$((0x$1)) conv=notrunc status=none");
    auto syms = BinarySymbols::open({bin, "", "test"});
    EXPECT_TRUE(syms.ok()) << syms.error().message;
    if (!syms.ok()) return {};
    return (*syms)->damage();
}

bool names(const std::vector<std::string>& damage, const std::string& section) {
    for (const auto& d : damage)
        if (d.rfind(section + ": ", 0) == 0) return true;
    return false;
}

TEST(DwarfSymbolizer, DamagedSectionsAreNamed) {
    for (const char* section : {".eh_frame", ".symtab", ".note.ABI-tag", ".debug_info"}) {
        const auto damage = damage_after_overwriting(section);
        std::string all;
        for (const auto& d : damage) all += d + "\n";
        EXPECT_TRUE(names(damage, section)) << section << " overwritten, damage:\n" << all;
    }
}

TEST(DwarfSymbolizer, CutShortCopyIsDamaged) {
    const kiln::test::TempDir tmp;
    const std::string bin = tmp.path("app");
    const auto size = std::filesystem::file_size(TARGET_PIE);
    kiln::testing::shell(std::string("head -c ") + std::to_string(size / 2) + " " + TARGET_PIE + " > " + bin);
    auto syms = BinarySymbols::open({bin, "", "test"});
    ASSERT_TRUE(syms.ok()) << syms.error().message;  // libdwfl takes it: its program headers survive
    ASSERT_FALSE((*syms)->damage().empty()) << "half a binary called whole";
    EXPECT_NE((*syms)->damage()[0].find("cut short"), std::string::npos) << (*syms)->damage()[0];
}

TEST(DwarfSymbolizer, NotAnElfFileIsAnErrorNamingIt) {
    const kiln::test::TempDir tmp;
    const std::string path = tmp.path("not-elf");
    kiln::testing::shell("echo hello > " + path);
    auto syms = BinarySymbols::open({path, "", "test"});
    ASSERT_FALSE(syms.ok());
    EXPECT_NE(syms.error().message.find(path), std::string::npos);
}

TEST(Demangle, CppNamesAndPlainNames) {
    EXPECT_EQ(demangle("_ZN4demo6Widget4spinEi"), "demo::Widget::spin(int)");
    EXPECT_EQ(demangle("main"), "main");
    EXPECT_EQ(demangle("_Znot_valid"), "_Znot_valid");
}

}  // namespace
}  // namespace kiln::analyzer
