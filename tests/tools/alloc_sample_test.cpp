// `kiln record --alloc-sample BYTES`: kiln's sampler preloaded into the command reports about one
// allocation per BYTES allocated (and the frees of those), and the alloc, allocs and inuse views
// weigh each by the inverse of its chance. Against workloads of known shape:
//   alloc_threads: 4 threads, 10 rounds; each round a thread allocates 5000 blocks in
//     alloc_round (avg 1472 bytes) and frees another thread's blocks but every tenth: 200000
//     blocks (294,400,000 bytes) allocated, 20000 (28,160,000 bytes) left in use. Frees from other
//     threads than the allocating one test the sampler's table of live sampled blocks.
//   mem_mix: 64 blocks of 100000 bytes kept by leak_blocks, 20000 x 4096 bytes freed by churn.
// Tolerances are set from the estimates' spread (binomial sampling: the standard deviation of
// an estimate is about sqrt(mean / total bytes) of it) at 4 to 5 standard deviations.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/tools/folded_stacks.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

std::map<std::string, double> view(const std::string& rec, const std::string& name, std::string* err = nullptr) {
    auto r = run_kiln({"analyze", rec, "--view", name, "--folded", "-"});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    if (err) *err = r.err;
    return parse_folded(r.out);
}

}  // namespace

// Samples of one event of a recording, by the event name's end.
uint64_t event_samples(const nlohmann::json& info, const std::string& suffix) {
    for (const auto& e : info["events"])
        if (e["name"].get<std::string>().ends_with(suffix)) return e["samples"].get<uint64_t>();
    ADD_FAILURE() << "no event " << suffix << " in " << info["events"].dump();
    return 0;
}

// With -g fp the sampler walks the stacks itself and hands them over in batches (a few hundred
// traps for ~60000 sampled blocks and their frees); with -g dwarf every sampled block and its
// free is a trap of its own, unwound by kiln. Both must give the same truth.
class AllocSampleModes : public ::testing::TestWithParam<std::string> {};

TEST_P(AllocSampleModes, EstimatesMatchAThreadedWorkloadsAllocationsAndWhatItKeeps) {
    TempDir tmp;
    const std::string rec = tmp.path("threads.kiln");
    // -g dwarf: ~110,000 traps; a 2 KiB stack copy holds these shallow stacks whole and keeps the
    // rings from overflowing when kiln is slow (a sanitizer build).
    const std::string mode = GetParam() == "fp" ? "fp" : "dwarf,2048";
    auto r = run_kiln({"record", "-q", "-g", mode, "--alloc-sample", "4K", "-o", rec, "--",
                       workload("alloc_threads_fp"), "10", "4"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto info = info_json(rec);
    ASSERT_EQ(info["lost"].get<uint64_t>(), 0u) << "a sampled recording should lose nothing";
    if (GetParam() == "fp") {
        EXPECT_GT(event_samples(info, ":kiln_sampled_batch"), 0u);
        EXPECT_LT(event_samples(info, ":kiln_sampled_batch"), 2000u) << "batches of ~100 records";
        EXPECT_EQ(event_samples(info, ":kiln_sampled_alloc"), 0u);
    } else {
        EXPECT_GT(event_samples(info, ":kiln_sampled_alloc"), 10000u);
        EXPECT_GT(event_samples(info, ":kiln_sampled_free"), 10000u);
    }

    std::string err;
    const auto inuse = view(rec, "inuse", &err);
    // ~6000 of the 20000 kept blocks are sampled: 1.3% spread.
    EXPECT_NEAR(calls(inuse, "alloc_round", "malloc"), 28160000.0, 28160000.0 * 0.07) << dump(inuse);
    // Every block freed (by another thread) was matched with its sample: nothing else is in use
    // under the workers but what alloc_round kept, and free_round allocates nothing.
    EXPECT_NEAR(under(inuse, "worker"), calls(inuse, "alloc_round", "malloc"), 1.0) << dump(inuse);
    EXPECT_EQ(under(inuse, "free_round"), 0.0) << dump(inuse);
    EXPECT_NE(err.find("sampled about once per 4096 bytes"), std::string::npos) << err;

    const auto allocs = view(rec, "allocs");
    EXPECT_NEAR(calls(allocs, "alloc_round", "malloc"), 200000.0, 200000.0 * 0.05) << dump(allocs);
    const auto alloc = view(rec, "alloc");
    EXPECT_NEAR(calls(alloc, "alloc_round", "malloc"), 294400000.0, 294400000.0 * 0.05) << dump(alloc);
    EXPECT_EQ(err.find("could not be read"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(AllocSample, AllocSampleModes, ::testing::Values("fp", "dwarf"));

// The same estimates with frame pointers (the marker's caller from the stack top) and with
// DWARF stacks of a program without frame pointers: the stacks are the program's own, ending
// in the sampler's malloc as exact probing ends in libc's.
TEST(AllocSample, FramePointerAndDwarfStacksEndInTheCallersMalloc) {
    TempDir tmp;
    for (const auto& [name, mode] : {std::pair{"mem_mix_fp", "fp"}, std::pair{"mem_mix_nofp", "dwarf"}}) {
        const std::string rec = tmp.path(std::string(name) + ".kiln");
        auto r = run_kiln({"record", "-q", "-g", mode, "--alloc-sample", "64K", "-o", rec, "--", workload(name)});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto inuse = view(rec, "inuse");
        // 64 blocks, each sampled with chance 0.78: 6.6% spread.
        EXPECT_NEAR(under(inuse, "main;leak_blocks;malloc"), 6400000.0, 6400000.0 * 0.3) << mode << "\n" << dump(inuse);
        EXPECT_EQ(under(inuse, "churn"), 0.0) << mode << "\n" << dump(inuse);
        const auto alloc = view(rec, "alloc");
        // 82 MB of churn, ~1250 samples: 2.8% spread.
        EXPECT_NEAR(under(alloc, "main;churn;malloc"), 20000.0 * 4096, 20000.0 * 4096 * 0.15) << mode << "\n" << dump(alloc);
        for (const auto& [stack, v] : alloc)
            EXPECT_EQ(stack.find("kiln_sampled"), std::string::npos) << "the marker is no frame of the program's: " << stack;
    }
}

// The command keeps the LD_PRELOAD it had (after the sampler), and the children it starts are
// sampled too: a shell runs mem_mix.
TEST(AllocSample, ChildrenAreSampledAndTheirPreloadKept) {
    TempDir tmp;
    const std::string rec = tmp.path("sh.kiln");
    ScopedEnv preload("LD_PRELOAD", "libm.so.6");
    // An AddressSanitizer build of kiln refuses to start with a library preloaded before its runtime.
    const char* asan = std::getenv("ASAN_OPTIONS");
    ScopedEnv asan_order("ASAN_OPTIONS", std::string(asan ? asan : "") + (asan && *asan ? ":" : "") +
                                             "verify_asan_link_order=0");
    auto r = run_kiln({"record", "-q", "--alloc-sample", "64K", "-o", rec, "--", "/bin/sh", "-c",
                       "echo \"preload=$LD_PRELOAD\"; " + workload("mem_mix_fp") + "; true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("libkiln-alloc-sampler.so libm.so.6"), std::string::npos) << r.out;
    const auto inuse = view(rec, "inuse");
    EXPECT_NEAR(under(inuse, "leak_blocks"), 6400000.0, 6400000.0 * 0.3) << dump(inuse);
}

// A command that allocates less than the mean, or never loads the sampler, is told apart from
// one that keeps nothing; -o DIR writes the allocation views and no probes view of the markers.
TEST(AllocSample, NothingSampledIsSaidAndTheMarkersAreNoProbesView) {
    TempDir tmp;
    const std::string rec = tmp.path("true.kiln");
    auto r = run_kiln({"record", "-q", "--alloc-sample", "1G", "-o", rec, "--", "/bin/true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string err;
    EXPECT_TRUE(view(rec, "inuse", &err).empty());
    EXPECT_NE(err.find("no allocation was sampled"), std::string::npos) << err;
    auto probes = run_kiln({"analyze", rec, "--view", "probes"});
    EXPECT_NE(probes.exit_code, 0);
    EXPECT_NE(probes.err.find("allocation sampler"), std::string::npos) << probes.err;

    const std::string mix = tmp.path("mix.kiln");
    r = run_kiln({"record", "-q", "--alloc-sample", "64K", "-o", mix, "--", workload("mem_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto dir = run_kiln({"analyze", mix, "-o", tmp.path("out")});
    ASSERT_EQ(dir.exit_code, 0) << dir.err;
    for (const char* f : {"inuse.svg", "alloc.pb.gz", "allocs.folded"})
        EXPECT_TRUE(std::ifstream(tmp.path("out") + "/" + f).good()) << f << "\n" << dir.err;
    EXPECT_FALSE(std::ifstream(tmp.path("out") + "/probes.svg").good()) << dir.err;
}

TEST(AllocSample, BadUseIsRefusedClearly) {
    TempDir tmp;
    const std::string out = tmp.path("x.kiln");
    auto system_wide = run_kiln({"record", "-a", "--alloc-sample", "512K", "-o", out, "-d", "0.1"});
    EXPECT_NE(system_wide.exit_code, 0);
    EXPECT_NE(system_wide.err.find("give a command after --"), std::string::npos) << system_wide.err;
    auto zero = run_kiln({"record", "--alloc-sample", "0", "-o", out, "--", "true"});
    EXPECT_NE(zero.exit_code, 0);
    EXPECT_NE(zero.err.find("at least 1"), std::string::npos) << zero.err;
    auto junk = run_kiln({"record", "--alloc-sample", "12Q", "-o", out, "--", "true"});
    EXPECT_NE(junk.exit_code, 0);
    EXPECT_NE(junk.err.find("--alloc-sample"), std::string::npos) << junk.err;
    auto with_lib = run_kiln({"record", "--alloc-sample", "512K", "--alloc-lib", "/lib/x86_64-linux-gnu/libc.so.6", "-o",
                              out, "--", "true"});
    EXPECT_NE(with_lib.exit_code, 0);
    EXPECT_NE(with_lib.err.find("--alloc-lib"), std::string::npos) << with_lib.err;
    {
        ScopedEnv missing("KILN_ALLOC_SAMPLER", tmp.path("no-such-sampler.so"));
        auto r = run_kiln({"record", "--alloc-sample", "512K", "-o", out, "--", "true"});
        EXPECT_NE(r.exit_code, 0);
        EXPECT_NE(r.err.find("no-such-sampler.so"), std::string::npos) << r.err;
    }
    {
        ScopedEnv not_a_sampler("KILN_ALLOC_SAMPLER", "/lib/x86_64-linux-gnu/libc.so.6");
        auto r = run_kiln({"record", "--alloc-sample", "512K", "-o", out, "--", "true"});
        EXPECT_NE(r.exit_code, 0);
        EXPECT_NE(r.err.find("kiln_sampled_alloc"), std::string::npos) << r.err;
    }
}
