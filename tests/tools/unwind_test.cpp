// DWARF unwinding (`kiln record -g dwarf` + `kiln analyze`) on workloads built without frame
// pointers, checked against their known call paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

#include "analyzer/decode/chunk_prefetcher.h"
#include "formats/kiln_format.h"
#include "formats/perf_sample.h"
#include "formats/recording_reader.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

struct Folded {
    std::map<std::string, double> stacks;
    double total = 0;
    double matching(const std::function<bool(const std::string&)>& pred) const {
        double v = 0;
        for (const auto& [s, n] : stacks)
            if (pred(s)) v += n;
        return v;
    }
};

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Folded to_folded(const std::string& text) {
    Folded f;
    f.stacks = parse_folded(text);
    for (const auto& [s, v] : f.stacks) f.total += v;
    return f;
}

// Records CMD with -g dwarf at 999 Hz and returns its folded stacks and analyze's stderr.
Folded record_dwarf(const TempDir& tmp, const std::vector<std::string>& cmd, std::string& err,
                    const std::string& stack = "8192", const std::vector<std::string>& events = {"-F", "999"}) {
    std::vector<std::string> argv{kiln_bin(), "record", "-g", "dwarf," + stack, "-o", tmp.path("d.kiln")};
    argv.insert(argv.end(), events.begin(), events.end());
    argv.push_back("--");
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto a = run({kiln_bin(), "analyze", tmp.path("d.kiln"), "--folded", "-"});
    EXPECT_EQ(a.exit_code, 0) << a.err;
    err = a.err;
    return to_folded(a.out);
}

}  // namespace

TEST(Unwind, NoFramePointerBinaryUnwindsToMainThroughItsCallers) {
    TempDir tmp;
    std::string err;
    Folded f = record_dwarf(tmp, {workload("cpu_split_nofp"), "1.5"}, err);
    ASSERT_GT(f.total, 0);
    // Frame pointers would lose work(): DWARF gets main → work → hot_a/hot_b.
    const double through = f.matching([](const std::string& s) { return has(s, ";main;work;hot_a") || has(s, ";main;work;hot_b"); });
    EXPECT_GT(through, 0.95 * f.total) << err;
    const double a = f.matching([](const std::string& s) { return ends_with(s, ";work;hot_a"); });
    const double b = f.matching([](const std::string& s) { return ends_with(s, ";work;hot_b"); });
    EXPECT_NEAR(a / (a + b), 0.75, 0.05);
    EXPECT_NE(err.find("unwinding (dwarf)"), std::string::npos) << err;
}

TEST(Unwind, CallbackThroughLibcQsortReachesItsCaller) {
    TempDir tmp;
    std::string err;
    Folded f = record_dwarf(tmp, {workload("qsort_callback_nofp"), "1.0"}, err);
    const double cb = f.matching([](const std::string& s) { return ends_with(s, ";slow_compare"); });
    ASSERT_GT(cb, 0.5 * f.total);
    const double through = f.matching([](const std::string& s) {
        return ends_with(s, ";slow_compare") && has(s, ";main;sort_many;") && has(s, "qsort");
    });
    EXPECT_GT(through, 0.95 * cb) << err;
}

TEST(Unwind, EveryThreadAndTheForkedChildUnwind) {
    TempDir tmp;
    std::string err;
    Folded f = record_dwarf(tmp, {workload("threads_fork_nofp"), "0.5"}, err);
    const double spin = f.matching([](const std::string& s) { return ends_with(s, ";spin_in_thread"); });
    ASSERT_GT(spin, 0.8 * f.total);
    const double threads = f.matching([](const std::string& s) {
        return ends_with(s, ";spin_in_thread") && has(s, "start_thread;thread_main;spin_in_thread");
    });
    const double child = f.matching([](const std::string& s) {
        return ends_with(s, ";spin_in_thread") && has(s, ";main;") && !has(s, "start_thread");
    });
    // Three threads and one child spin equally long: 3/4 and 1/4 of the time, all unwound.
    EXPECT_GT(threads + child, 0.95 * spin) << err;
    EXPECT_NEAR(threads / spin, 0.75, 0.1);
    EXPECT_NEAR(child / spin, 0.25, 0.1);
}

TEST(Unwind, DeepRecursionIsReportedTruncatedNotWrong) {
    TempDir tmp;
    std::string err;
    Folded f = record_dwarf(tmp, {workload("deep_recursion_nofp"), "1.0"}, err);
    const double truncated = f.matching([](const std::string& s) { return has(s, ";[truncated];descend;descend;"); });
    EXPECT_GT(truncated, 0.9 * f.total);
    const double burning = f.matching([](const std::string& s) { return has(s, ";[truncated];descend;") && has(s, ";descend;burn"); });
    EXPECT_GT(burning, 0.8 * f.total);
    // Every truncated stack is cut inside the recursion, never wrong: after [truncated] come
    // only descend frames, then burn() and what it calls, or the kernel (a page fault while
    // the recursion grows the stack is a truncated stack that ends in descend).
    for (const auto& [s, v] : f.stacks) {
        const size_t cut = s.find(";[truncated];");
        if (cut == std::string::npos) continue;
        // The frame main, not the substring: a kernel frame such as sched_balance_domains_[k]
        // (a timer interrupt during burn) contains "main".
        EXPECT_FALSE(has(s + ";", ";main;")) << s;
        std::vector<std::string> frames;
        std::istringstream in(s.substr(cut + 13));
        for (std::string frame; std::getline(in, frame, ';');) frames.push_back(frame);
        ASSERT_FALSE(frames.empty()) << s;
        // A sample in a page fault whose faulting page is the stack's own (the lazy binder's
        // register save area below burn, _dl_runtime_resolve_*): the kernel copies the user
        // stack only up to the page not yet there, so only the interrupted frame is known.
        if (frames.size() >= 2 && frames[1] == "asm_exc_page_fault_[k]") {
            for (size_t i = 1; i < frames.size(); ++i) EXPECT_TRUE(frames[i].ends_with("_[k]")) << s;
            continue;
        }
        EXPECT_EQ(frames[0], "descend") << s;
        bool in_burn = false;
        for (const std::string& frame : frames) {
            if (frame == "burn") in_burn = true;
            if (!in_burn && frame != "descend" && !frame.ends_with("_[k]")) ADD_FAILURE() << "unexpected frame " << frame << " in " << s;
        }
    }
    EXPECT_NE(err.find("truncated"), std::string::npos) << err;
    EXPECT_NE(err.find("-g dwarf,16384"), std::string::npos) << err;
    // pprof marks those samples: label unwind=truncated.
    auto p = run({kiln_bin(), "analyze", tmp.path("d.kiln"), "--pprof", tmp.path("d.pb.gz")});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto raw = run({"/usr/bin/go", "tool", "pprof", "-raw", "-symbolize=none", tmp.path("d.pb.gz")});
    ASSERT_EQ(raw.exit_code, 0) << raw.err;
    EXPECT_NE(raw.out.find("unwind:[truncated]"), std::string::npos) << raw.out.substr(0, 2000);
}

TEST(Unwind, FramesWithoutCfiFallBackToTheFramePointerAndAreReported) {
    TempDir tmp;
    std::string err;
    // No CFI at all for the workload's own code (no .eh_frame entries, no .debug_frame), but
    // frame pointers: its frames are unwound with them, the rest with CFI, and the report
    // names the binary and the fix. The frameless leaf hides work(), as in fp callchains.
    Folded f = record_dwarf(tmp, {workload("cpu_split_nocfi_fp"), "1.0"}, err);
    ASSERT_GT(f.total, 0);
    const double a = f.matching([](const std::string& s) { return ends_with(s, ";main;hot_a") || ends_with(s, ";main;work;hot_a"); });
    const double b = f.matching([](const std::string& s) { return ends_with(s, ";main;hot_b") || ends_with(s, ";main;work;hot_b"); });
    EXPECT_GT(a + b, 0.95 * f.total) << err;
    EXPECT_NEAR(a / (a + b), 0.75, 0.05);
    // Past main the stacks go on through libc's CFI to the outermost frame.
    const double whole = f.matching([](const std::string& s) { return has(s, "__libc_start_call_main;main;"); });
    EXPECT_GT(whole, 0.95 * f.total) << err;
    // "…/cpu_split_nocfi_fp: 99.9% of stacks crossed code without CFI here…" (a sample in
    // the loader before main need not cross it).
    const size_t line = err.find("cpu_split_nocfi_fp: ");
    ASSERT_NE(line, std::string::npos) << err;
    EXPECT_GT(std::atof(err.c_str() + line + 20), 95.0) << err;
    EXPECT_NE(err.find("% of stacks crossed code without CFI", line), std::string::npos) << err;
    // The stacks are marked: pprof label unwind=frame-pointer, which `go tool pprof -tags` lists.
    auto p = run({kiln_bin(), "analyze", tmp.path("d.kiln"), "--pprof", tmp.path("d.pb.gz")});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto tags = run({"/usr/bin/go", "tool", "pprof", "-tags", "-symbolize=none", tmp.path("d.pb.gz")});
    ASSERT_EQ(tags.exit_code, 0) << tags.err;
    EXPECT_NE(tags.out.find("unwind: Total"), std::string::npos) << tags.out;
    EXPECT_NE(tags.out.find("frame-pointer"), std::string::npos) << tags.out;
    EXPECT_NE(err.find("-fasynchronous-unwind-tables"), std::string::npos) << err;
}

TEST(Unwind, CfiOnlyInDebugFrameIsUsed) {
    TempDir tmp;
    std::string err;
    // Built with -g but without unwind tables or frame pointers: only .debug_frame has CFI.
    Folded f = record_dwarf(tmp, {workload("cpu_split_debugframe_nofp"), "1.0"}, err);
    ASSERT_GT(f.total, 0);
    const double through = f.matching([](const std::string& s) {
        return ends_with(s, ";main;work;hot_a") || ends_with(s, ";main;work;hot_b");
    });
    EXPECT_GT(through, 0.95 * f.total) << err;
    // Its code has CFI; its PLT stubs have none (the linker writes their CFI only into an
    // .eh_frame), so a sample caught in one is unwound by frame pointer: a rare sample, never more.
    const size_t note = err.find("cpu_split_debugframe_nofp: ");
    if (note != std::string::npos) {
        EXPECT_LT(std::stod(err.substr(note + 27)), 1.0) << err;
    }
}

TEST(Unwind, FastPathAndLibunwindGiveTheSameStacks) {
    // Stacks of frames whose CFI is simple go through kiln's cached rules, the rest through
    // libunwind; forcing libunwind for all must not change the program's stacks (those that
    // reach main or a thread's start). Left out: vdso frames and the rare samples of process
    // start-up and exit, which cross code without CFI, where each path has its own
    // frame-pointer fallback.
    for (const std::string w : {"qsort_callback_nofp", "threads_fork_nofp"}) {
        TempDir tmp;
        auto r = run({kiln_bin(), "record", "-F", "999", "-g", "dwarf", "-o", tmp.path("d.kiln"), "--", workload(w), "0.5"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto fast = run({kiln_bin(), "analyze", tmp.path("d.kiln"), "--folded", "-"});
        auto slow = run({kiln_bin(), "analyze", tmp.path("d.kiln"), "--folded", "-", "--libunwind-only"});
        ASSERT_EQ(fast.exit_code, 0) << fast.err;
        ASSERT_EQ(slow.exit_code, 0) << slow.err;
        Folded a = to_folded(fast.out), b = to_folded(slow.out);
        const auto compared = [](const auto& kv) {
            return !has(kv.first, "[vdso]") && (has(kv.first, ";main;") || has(kv.first, "start_thread;"));
        };
        std::erase_if(a.stacks, [&](const auto& kv) { return !compared(kv); });
        std::erase_if(b.stacks, [&](const auto& kv) { return !compared(kv); });
        // Nearly all samples are compared.
        EXPECT_GT(a.matching([](const std::string&) { return true; }), 0.9 * a.total) << w;
        EXPECT_EQ(a.stacks, b.stacks) << w;
    }
}

TEST(Unwind, SampleAtAFunctionEntryShowsItsCaller) {
    TempDir tmp;
    std::string err;
    // A uprobe fires at probed()'s first instruction, before it has a frame: CFI still
    // finds the return address, so each hit shows the caller that made it.
    const std::string target = workload("probe_target_nofp");
    Folded f = record_dwarf(tmp, {target}, err, "8192", {"-e", "uprobe:" + target + ":probed"});
    const double a = f.matching([](const std::string& s) { return ends_with(s, ";main;caller_a;probed"); });
    const double b = f.matching([](const std::string& s) { return ends_with(s, ";main;caller_b;probed"); });
    EXPECT_EQ(a + b, f.total) << err;  // every hit shows its caller
    if (err.find("were lost") == std::string::npos) {
        EXPECT_EQ(a, 3000) << err;
        EXPECT_EQ(b, 1000) << err;
    } else {
        // A loaded machine may drop some 8 KiB stack copies (counted and reported).
        EXPECT_GT(f.total, 1000) << err;
    }
}

// A chunk holds up to 2 MiB of stack deltas, or a second: at 4000 Hz with 8 KiB copies its
// samples expand to tens of MiB, which the analyzer takes a slice at a time. Every sample
// the recording holds must come out of the analysis, unwound.
TEST(Unwind, ChunksThatExpandFarPastASliceLoseNoSample) {
    TempDir tmp;
    std::string err;
    Folded f = record_dwarf(tmp, {workload("cpu_split_nofp"), "1.5"}, err, "8192", {"-F", "4000"});
    const auto info = info_json(tmp.path("d.kiln"));
    const uint64_t samples = info["samples"].get<uint64_t>();
    ASSERT_GT(samples, 4000u);  // what a slow (sanitizer) build drops is counted as lost, not here
    EXPECT_NE(err.find("cpu view: " + std::to_string(samples) + " samples"), std::string::npos) << err;
    EXPECT_EQ(err.find("dropped"), std::string::npos) << err;
    // The recorder did put thousands of samples in a chunk (not one slice's worth each).
    auto reader = kiln::format::RecordingReader::open(tmp.path("d.kiln"));
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    size_t most_in_a_chunk = 0;  // samples (plain or delta-encoded) of the fullest chunk
    for (;;) {
        auto c = (*reader)->next();
        ASSERT_TRUE(c.ok()) << c.error().message;
        if (!*c) break;
        if ((*c)->type != kiln::format::ChunkType::kPerfRecords) continue;
        size_t in_chunk = 0;
        ASSERT_TRUE(kiln::format::for_each_record((*c)->data, [&](const perf_event_header& h, auto) {
                        in_chunk += h.type == PERF_RECORD_SAMPLE || kiln::format::is_delta_record(h.type);
                    }).ok());
        most_in_a_chunk = std::max(most_in_a_chunk, in_chunk);
    }
    // A second of a 4000 Hz recording is up to 4000 samples (fewer on a busy machine); each
    // expands to more than its 8 KiB copy, so 512 of them are two slices at least.
    static_assert(512 * 8192 >= 2 * kiln::analyzer::kExpandedSliceBytes);
    EXPECT_GE(most_in_a_chunk, 512u) << samples << " samples";
    const double through = f.matching([](const std::string& s) { return has(s, ";main;work;hot_"); });
    EXPECT_GT(through, 0.95 * f.total) << err;
}
