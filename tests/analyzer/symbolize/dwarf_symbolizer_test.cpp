// The symbolizer on test binaries built by this project: demangled names, inline chains with
// call-site lines, PIE and fixed-address executables, and stripped binaries whose DWARF lives
// in a separate debug file found by build-id.
#include "analyzer/symbolize/dwarf_symbolizer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "formats/sideband.h"
#include "tests/analyzer/symbolize/elf_test_util.h"

namespace kiln::analyzer {
namespace {

using kiln::testing::file_offset_of;
using kiln::testing::find_symbol;
using kiln::testing::marker_line;

const char* kSpin = "_ZN4demo6Widget4spinEi";

// Resolves every instruction-ish address of Widget::spin; returns the frames of one address
// where inner_step was inlined, and checks the others name spin.
std::vector<SymbolizedFrame> inlined_frames(BinarySymbols& syms, const std::string& path) {
    const auto spin = find_symbol(path, kSpin);
    EXPECT_GT(spin.size, 0u) << path;
    std::vector<SymbolizedFrame> found;
    for (uint64_t a = spin.vaddr; a < spin.vaddr + spin.size; ++a) {
        const auto& frames = syms.resolve(file_offset_of(path, a));
        EXPECT_FALSE(frames.empty()) << std::hex << a;
        if (frames.empty()) continue;
        EXPECT_EQ(frames.back().function, "demo::Widget::spin(int)") << std::hex << a;
        EXPECT_FALSE(frames.back().inlined);
        if (frames.size() == 2 && found.empty()) found = frames;
    }
    return found;
}

void check_binary(const LocatedBinary& b, const std::string& symbols_path) {
    auto syms = BinarySymbols::open(b);
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    EXPECT_TRUE((*syms)->has_dwarf());
    auto frames = inlined_frames(**syms, symbols_path);
    ASSERT_EQ(frames.size(), 2u) << "no address of spin resolved to an inline chain";
    EXPECT_EQ(frames[0].function, "inner_step");
    EXPECT_TRUE(frames[0].inlined);
    EXPECT_EQ(frames[0].line, marker_line(TARGET_SOURCE, "LINE:inner_body"));
    EXPECT_EQ(std::filesystem::path(frames[0].file).filename(), "symbolize_target.cc");
    EXPECT_EQ(frames[1].mangled, kSpin);
    EXPECT_EQ(frames[1].line, marker_line(TARGET_SOURCE, "LINE:call_site"));
    EXPECT_GT(frames[1].function_start_line, 0);
    // main, from the same binary, without inlining.
    const auto m = find_symbol(symbols_path, "main");
    const auto& mf = (*syms)->resolve(file_offset_of(symbols_path, m.vaddr));
    ASSERT_FALSE(mf.empty());
    EXPECT_EQ(mf.back().function, "main");
    // An offset outside every loaded segment resolves to nothing.
    EXPECT_TRUE((*syms)->resolve(1ull << 40).empty());
}

TEST(DwarfSymbolizer, PieExecutable) { check_binary({TARGET_PIE, "", "test"}, TARGET_PIE); }

TEST(DwarfSymbolizer, FixedAddressExecutable) { check_binary({TARGET_NOPIE, "", "test"}, TARGET_NOPIE); }

TEST(DwarfSymbolizer, StrippedBinaryWithSeparateDebugFile) {
    const std::string dir = ::testing::TempDir() + "/stripped";
    kiln::testing::shell("rm -rf " + dir + " && mkdir -p " + dir);
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

TEST(DwarfSymbolizer, SymbolTableOnlyBinaryStillNamesFunctions) {
    const std::string dir = ::testing::TempDir() + "/nodebug";
    kiln::testing::shell("rm -rf " + dir + " && mkdir -p " + dir);
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

TEST(DwarfSymbolizer, NotAnElfFileIsAnErrorNamingIt) {
    const std::string path = ::testing::TempDir() + "/not-elf";
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
