#include <gtest/gtest.h>

#include "analyzer/symbolize/jit_symbols.h"
#include "analyzer/symbolize/kernel_symbols.h"
#include "formats/kallsyms_compact.h"

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

// Symbols streamed from a KALLSYMS_FOLDED payload, out of order and across modules, into the
// packed index the analyzer keeps.
TEST(KernelSymbols, PackedIndexFromAFoldedChunk) {
    format::KernelSymbols in;
    in.symbols = {{0xffffffffc0000ff0, 't', "__pfx_ext4_read", "ext4"}, {0xffffffffc0001000, 't', "ext4_read", "ext4"},
                  {0xffffffff81000ff0, 'T', "__pfx_do_syscall_64", ""},  {0xffffffff81001000, 'T', "do_syscall_64", ""},
                  {0xffffffffc0002000, 't', "xfs_write", "xfs"},          {0xffffffffc0001800, 't', "ext4_write", "ext4"},
                  {0xffffffff81000000, 't', "_stext", ""}};
    const auto payload = format::encode_compact(in, true);
    KernelSymbolIndex index;
    Status st = format::for_each_kernel_symbol(format::ChunkType::kKallsymsFolded, payload,
                                               [&](const format::KernelSymbolView& s) { index.add(s.address, s.name, s.module); });
    ASSERT_TRUE(st.ok()) << st.error().message;
    index.finish();
    ASSERT_EQ(index.size(), in.symbols.size());
    KernelSymbolIndex::Found f;
    ASSERT_TRUE(index.find(0xffffffff81000ff8, f));
    EXPECT_EQ(f.name, "__pfx_do_syscall_64");
    EXPECT_EQ(f.module, "");
    ASSERT_TRUE(index.find(0xffffffffc0001900, f));
    EXPECT_EQ(f.name, "ext4_write");
    EXPECT_EQ(f.module, "ext4");
    ASSERT_TRUE(index.find(0xffffffffc0002000, f));
    EXPECT_EQ(f.name, "xfs_write");
    EXPECT_EQ(f.module, "xfs");
    EXPECT_FALSE(index.find(0xffffffff80000000, f));

    format::KernelModules mods;
    mods.modules.push_back({"ext4", 0xffffffffc0000000, 0x1900, {}});
    mods.modules.push_back({"xfs", 0xffffffffc0002000, 0x1000, {}});
    KernelSymbolTable t(std::move(index), mods, format::KernelImage{});
    EXPECT_EQ(t.resolve(0xffffffffc0001004).name, "ext4_read");
    EXPECT_EQ(t.resolve(0xffffffff81001010).name, "do_syscall_64");
    EXPECT_EQ(t.resolve(0xffffffffc0002010).module, "xfs");
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
