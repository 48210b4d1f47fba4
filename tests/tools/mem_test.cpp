// Memory recording end to end: `kiln record --mem` of mem_mix, which keeps 64 blocks of
// 100000 bytes (leak_blocks), mallocs and frees 4096 bytes 20000 times (churn) and writes
// every page of a 16 MiB mapping (touch_pages). The inuse, allocs, alloc, faults and mmap
// views must show that truth, with the allocation's caller right in fp and dwarf modes,
// and agree with perf on the same workload.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "tests/tools/folded_stacks.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

constexpr double kLeakBytes = 64 * 100000.0;
constexpr double kChurnCalls = 20000;
constexpr double kTouchPages = 16.0 * 1024 * 1024 / 4096;

std::map<std::string, double> view(const std::string& rec, const std::string& name, std::string* err = nullptr) {
    auto r = run_kiln({"analyze", rec, "--view", name, "--folded", "-"});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    if (err) *err = r.err;
    return parse_folded(r.out);
}

struct Recorded {
    std::string path;
    uint64_t lost = 0;
};

Recorded record_mem(const TempDir& tmp, const std::string& workload_name, const std::string& call_graph,
                    const std::string& mem = "--mem") {
    Recorded r{tmp.path(workload_name + "_" + call_graph + ".kiln"), 0};
    auto res = run_kiln({"record", mem, "-g", call_graph, "-o", r.path, "--", workload(workload_name)});
    EXPECT_EQ(res.exit_code, 0) << res.err;
    r.lost = info_json(r.path)["lost"].get<uint64_t>();
    return r;
}

// touch_pages' page faults: every one, or, when the recording reports lost samples (an
// AddressSanitizer build of kiln can fall behind the fault burst, 35 MB of 8 KiB stacks in a
// few ms, after the allocator probes' burst), no more than there were and none unaccounted for.
// Either way a few faults more than the pages it touches are its own (its stack, its code):
// 4098 were seen once for 4096 pages.
void expect_touch_page_faults(const Recorded& rec, const std::map<std::string, double>& faults) {
    const double seen = under(faults, "touch_pages");
    if (rec.lost == 0) {
        EXPECT_NEAR(seen, kTouchPages, kTouchPages * 0.10) << dump(faults);
    } else {
        EXPECT_LE(seen, kTouchPages * 1.01) << dump(faults);
        EXPECT_GE(seen + static_cast<double>(rec.lost), kTouchPages * 0.90) << rec.lost << " lost\n" << dump(faults);
    }
}

// The allocation views against mem_mix's truth; the allocation's caller is the frame right
// above malloc.
void expect_alloc_truth(const Recorded& rec, const std::string& what) {
    const auto inuse = view(rec.path, "inuse");
    EXPECT_NEAR(calls(inuse, "leak_blocks", "malloc"), kLeakBytes, kLeakBytes * 0.01) << what << "\n" << dump(inuse);
    EXPECT_LT(under(inuse, "churn"), 2 * 4096.0) << what << "\n" << dump(inuse);

    std::string err;
    const auto allocs = view(rec.path, "allocs", &err);
    if (rec.lost == 0) {
        EXPECT_EQ(calls(allocs, "churn", "malloc"), kChurnCalls) << what << "\n" << dump(allocs);
        EXPECT_EQ(calls(allocs, "leak_blocks", "malloc"), 64.0) << what;
    } else {
        // Losses are reported, and what remains cannot exceed the truth.
        EXPECT_NE(err.find("lost"), std::string::npos) << what << ": " << err;
        EXPECT_LE(calls(allocs, "churn", "malloc"), kChurnCalls) << what;
    }
    const auto alloc = view(rec.path, "alloc");
    if (rec.lost == 0) {
        EXPECT_EQ(calls(alloc, "churn", "malloc"), kChurnCalls * 4096) << what;
    }
}

}  // namespace

TEST(Mem, FramePointerFiguresMatchTheWorkload) {
    TempDir tmp;
    const Recorded rec = record_mem(tmp, "mem_mix_fp", "fp");
    expect_alloc_truth(rec, "fp");
    // The whole stack: the caller came from the return address at malloc's entry, the rest
    // from the frame-pointer walk.
    const auto inuse = view(rec.path, "inuse");
    EXPECT_NEAR(under(inuse, "main;leak_blocks"), kLeakBytes, kLeakBytes * 0.01) << dump(inuse);

    const auto faults = view(rec.path, "faults");
    expect_touch_page_faults(rec, faults);
    // libc's mmap and brk wrappers have no frame pointer: in fp mode their caller is lost
    // (the dwarf test checks it); the bytes are all there.
    const auto mmap = view(rec.path, "mmap");
    double mapped_by_main = 0, brk = 0;
    for (const auto& [s, v] : mmap) {
        if (s.find(";main;") != std::string::npos && s.find("mmap") != std::string::npos) mapped_by_main += v;
        if (s.find("brk") != std::string::npos) brk += v;
    }
    EXPECT_GE(mapped_by_main, 16.0 * 1024 * 1024) << dump(mmap);
    EXPECT_GE(brk, kLeakBytes) << dump(mmap);  // the heap grew by brk for the leaked blocks
}

TEST(Mem, DwarfFiguresMatchTheWorkloadWithoutFramePointers) {
    TempDir tmp;
    const Recorded rec = record_mem(tmp, "mem_mix_nofp", "dwarf");
    expect_alloc_truth(rec, "dwarf");
    const auto inuse = view(rec.path, "inuse");
    EXPECT_NEAR(under(inuse, "main;leak_blocks"), kLeakBytes, kLeakBytes * 0.01) << dump(inuse);
    const auto faults = view(rec.path, "faults");
    expect_touch_page_faults(rec, faults);
    // DWARF unwinding goes through libc's syscall wrappers: the mapping under touch_pages, the
    // heap growth (brk) under the malloc called by leak_blocks. Recorded without the malloc
    // probes: while a uretprobe is armed, the allocator's return address on the stack is the
    // kernel's trampoline, where unwinding of a syscall inside malloc stops (README).
    const Recorded no_probes = record_mem(tmp, "mem_mix_nofp", "dwarf", "--mem=mmap");
    const auto mmap = view(no_probes.path, "mmap");
    EXPECT_GE(under(mmap, "touch_pages"), 16.0 * 1024 * 1024) << dump(mmap);
    EXPECT_GE(under(mmap, "leak_blocks"), kLeakBytes * 0.9) << dump(mmap);
}

// Without frame pointers in the program, fp mode still gets the direct caller right.
TEST(Mem, FramePointerModeFindsTheCallerOfCodeWithoutFramePointers) {
    TempDir tmp;
    const Recorded rec = record_mem(tmp, "mem_mix_nofp", "fp", "--mem=malloc");
    expect_alloc_truth(rec, "fp, no frame pointers");
}

TEST(Mem, OutputDirHoldsEveryViewWithHeapSampleTypes) {
    TempDir tmp;
    const Recorded rec = record_mem(tmp, "mem_mix_fp", "fp");
    auto r = run_kiln({"analyze", rec.path, "-o", tmp.path("out")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* v : {"alloc", "allocs", "inuse", "faults", "mmap"}) {
        EXPECT_FALSE(read_text(tmp.path("out") + "/" + v + ".folded").empty()) << v;
        EXPECT_FALSE(read_text(tmp.path("out") + "/" + v + ".pb.gz").empty()) << v;
    }
    // pprof's heap convention: the sample types and the default, as `go tool pprof` reads them.
    auto top = run_kiln({"analyze", rec.path, "--view", "inuse", "--top", "5"});
    ASSERT_EQ(top.exit_code, 0) << top.err;
    EXPECT_NE(top.out.find("inuse_space"), std::string::npos) << top.out;
}

TEST(Mem, BadInputFailsClearly) {
    TempDir tmp;
    // A recording without allocator probes.
    const std::string plain = tmp.path("plain.kiln");
    auto r = run_kiln({"record", "-e", "cpu-clock", "-o", plain, "--", workload("mem_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* v : {"inuse", "alloc", "allocs"}) {
        auto a = run_kiln({"analyze", plain, "--view", v});
        EXPECT_NE(a.exit_code, 0) << v;
        EXPECT_NE(a.err.find("--mem"), std::string::npos) << a.err;
    }
    auto f = run_kiln({"analyze", plain, "--view", "faults"});
    EXPECT_NE(f.exit_code, 0);
    EXPECT_NE(f.err.find("page-faults"), std::string::npos) << f.err;

    auto missing = run_kiln({"record", "--mem=malloc", "--alloc-lib", "/nonexistent/libjemalloc.so.2", "-o",
                             tmp.path("x.kiln"), "--", workload("mem_mix_fp")});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("/nonexistent/libjemalloc.so.2"), std::string::npos) << missing.err;
    auto no_malloc = run_kiln({"record", "--mem=malloc", "--alloc-lib", workload("probe_target_fp"), "-o",
                               tmp.path("x.kiln"), "--", workload("mem_mix_fp")});
    EXPECT_NE(no_malloc.exit_code, 0);
    EXPECT_NE(no_malloc.err.find("malloc"), std::string::npos) << no_malloc.err;
    auto bad_list = run_kiln({"record", "--mem=heap", "-o", tmp.path("x.kiln"), "--", workload("mem_mix_fp")});
    EXPECT_EQ(bad_list.exit_code, 2);
    EXPECT_NE(bad_list.err.find("heap"), std::string::npos) << bad_list.err;
}

// --alloc-lib probes the same functions in another allocator; here libc named explicitly
// (the same binary as the default one) must not double count.
TEST(Mem, AllocLibOfTheSameLibcCountsOnce) {
    TempDir tmp;
    const std::string rec = tmp.path("a.kiln");
    auto r = run_kiln({"record", "--mem=malloc", "--alloc-lib", "/lib/x86_64-linux-gnu/libc.so.6", "-o", rec, "--",
                       workload("mem_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (info_json(rec)["lost"].get<uint64_t>() == 0) {
        EXPECT_EQ(calls(view(rec, "allocs"), "churn", "malloc"), kChurnCalls);
    }
}

// Page faults against perf's count of the same software event on the same workload.
TEST(Mem, FaultsAgreeWithPerf) {
    TempDir tmp;
    const Recorded rec = record_mem(tmp, "mem_mix_fp", "fp", "--mem=faults");
    double kiln_total = 0;
    for (const auto& [s, v] : view(rec.path, "faults")) kiln_total += v;
    auto p = run({"/usr/bin/perf", "stat", "-x,", "-e", "page-faults", "--", workload("mem_mix_fp")});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(p.err, m, std::regex("^([0-9]+),[^,]*,page-faults", std::regex::multiline))) << p.err;
    const double perf_total = std::atof(m[1].str().c_str());
    std::printf("page faults: kiln %.0f, perf stat %.0f, under touch_pages %.0f (truth %.0f)\n", kiln_total, perf_total,
                under(view(rec.path, "faults"), "touch_pages"), kTouchPages);
    EXPECT_NEAR(kiln_total, perf_total, perf_total * 0.10);
}

// A target that forks: uprobes on followed tasks are tracefs probes (the uprobe PMU's events
// make the fork fail with EFAULT when inherited), removed when recording ends.
TEST(Mem, TargetsThatForkAreFollowedAndProbesRemoved) {
    TempDir tmp;
    const std::string rec = tmp.path("f.kiln");
    auto r = run_kiln({"record", "--mem=malloc", "-o", rec, "--", "/bin/sh", "-c", workload("mem_mix_fp") + "; true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (info_json(rec)["lost"].get<uint64_t>() == 0) {
        EXPECT_EQ(calls(view(rec, "allocs"), "churn", "malloc"), kChurnCalls);
    }
    const std::string probes = read_text("/sys/kernel/tracing/uprobe_events");
    EXPECT_EQ(probes.find("kiln_"), std::string::npos) << probes;
}
