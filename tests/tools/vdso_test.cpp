// [vdso] frames (vdso_clock: half of its time in clock_gettime(CLOCK_MONOTONIC), answered in the
// vdso under main;read_clock): a recording whose samples hit the vdso holds its image (one
// whose samples never do leaves it out), whose build-id is the one
// perf lists for [vdso]; its frames are named by the image's symbols, DWARF stacks through it
// reach their callers by its CFI, and a perf.data file's [vdso] frames are named from perf's
// build-id cache.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <regex>
#include <sstream>

#include <signal.h>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The vdso's functions: __vdso_clock_gettime and its alias clock_gettime (without the
// glibc wrapper's version suffix or __GI_ prefix, which are libc's).
bool in_vdso_function(const std::string& frame) {
    return frame == "__vdso_clock_gettime" || frame == "clock_gettime" || frame.rfind("vread_", 0) == 0 ||
           frame.rfind("do_hres", 0) == 0 || frame.rfind("__cvdso", 0) == 0;
}

struct Shares {
    double total = 0, unnamed_vdso = 0, vdso = 0, vdso_under_main = 0, vdso_under_caller = 0;
    std::string sample;  // a few stacks, for failure messages
};

// Over `kiln analyze --folded -` output: samples with an unnamed [vdso] frame, samples whose
// stack holds a vdso function, and of those the ones that also show main;read_clock.
Shares shares_of(const std::string& folded) {
    Shares s;
    for (const auto& [stack, n] : parse_folded(folded)) {
        s.total += n;
        std::vector<std::string> frames;
        std::stringstream in(stack);
        for (std::string f; std::getline(in, f, ';');) frames.push_back(f);
        bool vdso = false;
        for (const auto& f : frames) vdso |= in_vdso_function(f);
        if (has(stack, "[vdso]")) s.unnamed_vdso += n;
        if (vdso) {
            s.vdso += n;
            if (has(stack, "main;")) s.vdso_under_main += n;
            if (has(stack, "main;read_clock;")) s.vdso_under_caller += n;
            if (s.sample.size() < 2000) s.sample += stack + " " + std::to_string(static_cast<long>(n)) + "\n";
        }
    }
    return s;
}

// `kiln analyze FILE --folded -`, its shares, and what every test expects of them: about half
// the samples in the vdso (the known truth: read_clock's half of the time, nearly all of it
// there), and no unnamed [vdso] frame.
Shares vdso_shares_of(const std::string& file) {
    auto r = run_kiln({"analyze", file, "--folded", "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const Shares s = shares_of(r.out);
    EXPECT_GT(s.vdso, 0.25 * s.total) << s.sample << r.err;
    EXPECT_LT(s.unnamed_vdso, 0.01 * s.total) << r.out.substr(0, 3000);
    return s;
}

std::string record(const TempDir& tmp, const std::string& name, const std::vector<std::string>& args,
                   const std::string& program) {
    std::vector<std::string> argv{"record", "-q", "-F", "999", "-o", tmp.path(name)};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--", workload(program), "1"});
    auto r = run_kiln(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return tmp.path(name);
}

// perf record into a build-id cache of this test's own: perf 6.1 keeps it in $HOME/.debug
// (it does not read PERF_BUILDID_DIR), kiln reads PERF_BUILDID_DIR first.
struct PerfCache {
    explicit PerfCache(const TempDir& tmp)
        : made(std::filesystem::create_directories(tmp.path("home"))),
          home("HOME", tmp.path("home")),
          dir("PERF_BUILDID_DIR", tmp.path("home") + "/.debug") {}
    bool made;
    ScopedEnv home, dir;
};

RunResult perf_record(const TempDir& tmp, const std::string& seconds, const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv{"/usr/bin/perf", "record", "-q", "-F", "999", "-o", tmp.path("perf.data")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--", workload("vdso_clock_fp"), seconds});
    return run_perf(argv);
}

}  // namespace

TEST(Vdso, ARecordingWhoseSamplesHitTheVdsoHoldsTheImageThatPerfNames) {
    TempDir tmp;
    const std::string rec = record(tmp, "fp.kiln", {"-g", "fp"}, "vdso_clock_fp");
    const auto info = info_json(rec);
    const std::string ours = info["vdso_build_id"].get<std::string>();
    ASSERT_FALSE(ours.empty()) << info.dump(1);
    EXPECT_EQ(info["archived_binaries"], 0) << "the vdso is not counted as an archived file";
    // perf records the build-id of the [vdso] its samples hit, read from its own process's
    // image the same way: the two must agree.
    PerfCache cache(tmp);
    auto p = perf_record(tmp, "0.3");
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto ids = run({"/usr/bin/perf", "buildid-list", "-i", tmp.path("perf.data")});
    ASSERT_EQ(ids.exit_code, 0) << ids.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(ids.out, m, std::regex(R"(([0-9a-f]+) \[vdso\])"))) << ids.out;
    EXPECT_EQ(m[1].str(), ours) << ids.out;
}

TEST(Vdso, ARecordingWhoseSamplesNeverHitTheVdsoLeavesItOut) {
    // fork_storm never asks the clock (the other workloads time themselves, and a
    // CLOCK_PROCESS_CPUTIME_ID read is a system call made from the vdso): its recording has no
    // [vdso] sample, so no image (3.4 KB of a 5 s recording's ~45). -g none and -g dwarf find a
    // sample's user ip elsewhere than -g fp (the sample's ip, the user registers); vdso_clock's
    // recording keeps the image in each mode.
    TempDir tmp;
    for (const char* mode : {"fp", "none", "dwarf"}) {
        SCOPED_TRACE(mode);
        const std::string file = tmp.path(std::string("forks_") + mode + ".kiln");
        auto r = run_kiln({"record", "-q", "-g", mode, "-F", "999", "-o", file, "--", workload("fork_storm_fp"), "3000"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto none = info_json(file);
        EXPECT_GT(none["samples"].get<uint64_t>(), 50u) << none.dump(1);
        EXPECT_EQ(none["vdso_build_id"], "") << none.dump(1);
        const auto some =
            info_json(record(tmp, std::string("vdso_") + mode + ".kiln", {"-g", mode}, "vdso_clock_fp"));
        EXPECT_NE(some["vdso_build_id"], "") << some.dump(1);
    }
}

TEST(Vdso, AProcessRunningBeforeTheRecordingIsSeenInTheVdsoByItsSnapshot) {
    // -p: the process mapped its vdso before the recording began; the process snapshot's
    // [vdso] line is what tells the recorder where it is.
    TempDir tmp;
    const pid_t pid = spawn({workload("vdso_clock_fp"), "3"});
    ASSERT_GT(pid, 0);
    // Past its exec, so the snapshot reads the workload's maps.
    const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
    ASSERT_TRUE(wait_until(
        [&] {
            std::error_code ec;
            return std::filesystem::read_symlink(exe, ec).filename() == "vdso_clock_fp";
        },
        10));
    auto r = run_kiln({"record", "-q", "-g", "fp", "-F", "999", "-p", std::to_string(pid), "-d", "1", "-o",
                       tmp.path("p.kiln")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ::kill(pid, SIGKILL);
    wait_for(pid);
    vdso_shares_of(tmp.path("p.kiln"));
}

TEST(Vdso, FramePointerStacksNameTheVdsoFunction) {
    TempDir tmp;
    const Shares s = vdso_shares_of(record(tmp, "fp.kiln", {"-g", "fp"}, "vdso_clock_fp"));
    // The frame-pointer walk goes on from the vdso's frame to main. read_clock itself is lost
    // when libc's clock_gettime wrapper, between the two, keeps no frame (Debian's libc).
    EXPECT_GT(s.vdso_under_main, 0.95 * s.vdso) << s.sample;
}

TEST(Vdso, DwarfStacksUnwindThroughTheVdsoByItsCfi) {
    TempDir tmp;
    const Shares s = vdso_shares_of(record(tmp, "dwarf.kiln", {"-g", "dwarf"}, "vdso_clock_nofp"));
    // Without frame pointers the caller is found only by the vdso's CFI.
    EXPECT_GT(s.vdso_under_caller, 0.95 * s.vdso) << s.sample;
}

TEST(Vdso, PerfDataFramesAreNamedFromPerfsBuildIdCache) {
    TempDir tmp;
    PerfCache cache(tmp);
    auto p = perf_record(tmp, "1", {"-g"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const Shares s = vdso_shares_of(tmp.path("perf.data"));
    // Without the cache's copy, the frames stay [vdso] and a note says why.
    ScopedEnv no_cache("PERF_BUILDID_DIR", tmp.path("empty-cache"));
    auto bare = run_kiln({"analyze", tmp.path("perf.data"), "--folded", "-"});
    ASSERT_EQ(bare.exit_code, 0) << bare.err;
    EXPECT_GT(shares_of(bare.out).unnamed_vdso, 0.25 * s.total) << bare.out.substr(0, 2000);
    EXPECT_TRUE(has(bare.err, "[vdso] frames are not named")) << bare.err;
}
