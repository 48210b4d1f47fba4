#include <gtest/gtest.h>

#include "analyzer/symbolize/jit_symbols.h"
#include "analyzer/symbolize/kernel_symbols.h"

namespace kiln::analyzer {
namespace {

KernelSymbolTable table() {
    format::KernelSymbols syms;
    syms.symbols = {{0xffffffff81000000, 't', "_stext", ""},
                    {0xffffffff81000100, 'T', "do_syscall_64", ""},
                    {0xffffffffc0000000, 't', "ext4_read", "ext4"}};
    format::KernelModules mods;
    mods.modules.push_back({"ext4", 0xffffffffc0000000, 0x1000, {}});
    mods.modules.push_back({"xfs", 0xffffffffc0010000, 0x1000, {}});
    format::KernelImage image;
    image.text_end = 0xffffffff82000000;
    return KernelSymbolTable(syms, mods, image);
}

TEST(KernelSymbols, ResolvesKernelAndModuleSymbols) {
    auto t = table();
    auto f = t.resolve(0xffffffff81000150);
    EXPECT_TRUE(f.found);
    EXPECT_EQ(f.name, "do_syscall_64");
    f = t.resolve(0xffffffffc0000010);
    EXPECT_EQ(f.name, "ext4_read");
    EXPECT_EQ(f.module, "ext4");
}

TEST(KernelSymbols, AddressesNoSymbolCoversKeepTheirOffset) {
    auto t = table();
    // Inside xfs, whose symbols were not recorded: not ext4_read, which is below it.
    auto f = t.resolve(0xffffffffc0010020);
    EXPECT_FALSE(f.found);
    EXPECT_EQ(f.name, "[xfs]+0x20");
    // Past the end of kernel text and outside every module.
    f = t.resolve(0xffffffff83000000);
    EXPECT_FALSE(f.found);
    EXPECT_EQ(f.name, "[kernel]+0xffffffff83000000");
}

TEST(JitSymbols, ParsesPerfMapsPerProcess) {
    std::vector<format::PerfMapFile> maps{
        {7, "7f0000001000 100 LazyCompile:foo bar.js:1\n"
            "garbage line\n"
            "0x7f0000002000 0x20 stub\n"},
        {8, "7f0000001000 100 other\n"}};
    JitSymbolTable t(maps);
    ASSERT_NE(t.resolve(7, 0x7f0000001010), nullptr);
    EXPECT_EQ(*t.resolve(7, 0x7f0000001010), "LazyCompile:foo bar.js:1");
    EXPECT_EQ(*t.resolve(7, 0x7f000000201f), "stub");
    EXPECT_EQ(t.resolve(7, 0x7f0000002020), nullptr);
    EXPECT_EQ(*t.resolve(8, 0x7f0000001000), "other");
    EXPECT_EQ(t.resolve(9, 0x7f0000001000), nullptr);
    EXPECT_EQ(t.malformed_lines(), 1u);
}

}  // namespace
}  // namespace kiln::analyzer
