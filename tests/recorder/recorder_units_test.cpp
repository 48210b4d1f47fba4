// Recorder pieces that need no perf events: target parsing, ring sizing, the output file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "recorder/output_file.h"
#include "recorder/ring_sizing.h"
#include "recorder/targets.h"

using namespace kiln::recorder;

TEST(Targets, CpuListRanges) {
    auto online = online_cpus();
    ASSERT_FALSE(online.empty());
    auto r = parse_cpu_list("0");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, std::vector<int>{0});
    if (online.size() >= 2) {
        auto both = parse_cpu_list("0-1");
        ASSERT_TRUE(both.ok());
        EXPECT_EQ(both->size(), 2u);
    }
    EXPECT_FALSE(parse_cpu_list("3-1").ok());
    EXPECT_FALSE(parse_cpu_list("x").ok());
    EXPECT_FALSE(parse_cpu_list("100000").ok());
}

TEST(Targets, IdLists) {
    auto r = parse_id_list("12,34", "pid");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, (std::vector<int>{12, 34}));
    EXPECT_FALSE(parse_id_list("12,", "pid").ok());
    EXPECT_FALSE(parse_id_list("-3", "pid").ok());
}

TEST(Targets, ThreadsOfSelfAndMissing) {
    auto t = threads_of(getpid());
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->front(), getpid());
    auto missing = threads_of(999999999);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("999999999"), std::string::npos);
    auto tg = tgid_of(getpid());
    ASSERT_TRUE(tg.ok());
    EXPECT_EQ(*tg, getpid());
}

TEST(RingSizing, GrowsWithStackCopiesAndRate) {
    RecordOptions fp;
    RecordOptions dwarf;
    dwarf.call_graph = CallGraph::kDwarf;
    dwarf.dwarf_stack_bytes = 8192;
    const size_t page = 4096;
    size_t a = ring_data_pages(fp, 1, 0, page), b = ring_data_pages(dwarf, 1, 0, page);
    EXPECT_GE(a * page, 512u * 1024);
    EXPECT_GT(b, a);
    // ~1/8 s of 999 Hz samples of 8 KiB stacks fits, and no more than twice that is mapped.
    EXPECT_GE(b * page, 999u * 8192 / 8);
    EXPECT_LE(b * page, 999u * (8192 + 512) / 4);
    EXPECT_EQ(b & (b - 1), 0u) << "power of two";
    RecordOptions fixed;
    fixed.mmap_pages = 100;
    EXPECT_EQ(ring_data_pages(fixed, 1, 0, page), 128u);
    // A tracepoint (a switch storm) gets as much room as --off-cpu's switch event alone.
    RecordOptions off_cpu;
    off_cpu.off_cpu = true;
    const size_t tracepoint = ring_data_pages(fp, 1, 1, page);
    EXPECT_GT(tracepoint, a);
    EXPECT_GE(tracepoint * page, 10000u * 320 / 2);
    EXPECT_GE(ring_data_pages(off_cpu, 3, 0, page), tracepoint) << "switches and wakeups";
}

TEST(OutputFile, ModeAndOldCopy) {
    char tmpl[] = "/tmp/kiln_out_XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string path = dir + "/r.kiln";
    umask(0);
    auto fd = create_output_file(path);
    umask(022);
    ASSERT_TRUE(fd.ok()) << fd.error().message;
    ASSERT_EQ(write(*fd, "abc", 3), 3);
    close(*fd);
    struct stat st{};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto again = create_output_file(path);
    ASSERT_TRUE(again.ok());
    close(*again);
    EXPECT_EQ(std::filesystem::file_size(path + ".old"), 3u);
    ASSERT_EQ(symlink("/tmp/elsewhere", (dir + "/link").c_str()), 0);
    auto link = create_output_file(dir + "/link");
    ASSERT_FALSE(link.ok());
    EXPECT_NE(link.error().message.find("symbolic link"), std::string::npos);
    std::filesystem::remove_all(dir);
}
