// Bad input gets one clear line and a non-zero exit, never a crash.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

void expect_clean_failure(const RunResult& r, const std::string& needle) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.signal, 0) << "crashed: " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr was: " << r.err;
    EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
}

int perf_event_paranoid() {
    std::ifstream f("/proc/sys/kernel/perf_event_paranoid");
    int value = 0;
    f >> value;
    return value;
}

}  // namespace

TEST(RecordErrors, UnknownEventSuggestsNamesAndKilnList) {
    TempDir tmp;
    auto r = run({kiln_bin(), "record", "-e", "cpu-clok", "-o", tmp.path("x"), "--", "/bin/true"});
    expect_clean_failure(r, "kiln list");
    EXPECT_NE(r.err.find("cpu-clock"), std::string::npos) << r.err;
    EXPECT_NE(access(tmp.path("x").c_str(), F_OK), 0) << "no file is created for a failed start";
}

TEST(RecordErrors, UnknownTracepoint) {
    TempDir tmp;
    expect_clean_failure(run({kiln_bin(), "record", "-e", "sched:no_such_thing", "-o", tmp.path("x"), "--", "/bin/true"}),
                         "no_such_thing");
}

TEST(RecordErrors, MissingCommand) {
    TempDir tmp;
    expect_clean_failure(run({kiln_bin(), "record", "-o", tmp.path("x"), "--", "/no/such/program"}),
                         "command not found: /no/such/program");
    expect_clean_failure(run({kiln_bin(), "record", "-o", tmp.path("y"), "--", "no-such-program-kiln"}),
                         "command not found");
}

TEST(RecordErrors, MissingPid) {
    TempDir tmp;
    expect_clean_failure(run({kiln_bin(), "record", "-p", "999999999", "-o", tmp.path("x")}),
                         "no process with pid 999999999");
    expect_clean_failure(run({kiln_bin(), "record", "-p", "abc", "-o", tmp.path("x")}), "bad pid");
}

TEST(RecordErrors, UnwritableOutput) {
    expect_clean_failure(run({kiln_bin(), "record", "-o", "/nonexistent-dir/out.kiln", "--", "/bin/true"}),
                         "cannot create output /nonexistent-dir/out.kiln");
}

TEST(RecordErrors, RefusesToWriteThroughASymlink) {
    TempDir tmp;
    ASSERT_EQ(symlink(tmp.path("target").c_str(), tmp.path("link").c_str()), 0);
    expect_clean_failure(run({kiln_bin(), "record", "-o", tmp.path("link"), "--", "/bin/true"}), "symbolic link");
    EXPECT_NE(access(tmp.path("target").c_str(), F_OK), 0);
}

TEST(RecordErrors, BadFlags) {
    TempDir tmp;
    expect_clean_failure(run({kiln_bin(), "record", "-g", "dwarf,70000", "-o", tmp.path("x"), "--", "/bin/true"}),
                         "65528");
    expect_clean_failure(run({kiln_bin(), "record", "-F", "99", "-c", "1000", "-o", tmp.path("x"), "--", "/bin/true"}),
                         "exclusive");
    expect_clean_failure(run({kiln_bin(), "record", "-C", "4096", "-o", tmp.path("x")}), "not online");
    expect_clean_failure(run({kiln_bin(), "record", "-o", tmp.path("x")}), "nothing to record");
}

// An unknown option before `--` (or before the command's first word) is an error naming it,
// with close names, exit 2 and nothing recorded: a mistyped --off-cpus must not give a
// recording without off-CPU data.
TEST(KilnCommandLine, UnknownOptionsAreRefusedWithASuggestion) {
    TempDir tmp;
    struct Case {
        std::vector<std::string> args;
        std::string named;    // what the message must quote
        std::string suggest;  // a close name it must offer ("" for none)
    } cases[] = {
        {{"record", "--nonsense-flag", "-o", tmp.path("a"), "--", "/bin/true"}, "'--nonsense-flag'", ""},
        {{"record", "--off-cpus", "-o", tmp.path("b"), "--", "/bin/true"}, "'--off-cpus'", "--off-cpu"},
        {{"record", "-o", tmp.path("c"), "--schedule-me", "/bin/true"}, "'--schedule-me'", ""},
        {{"record", "-qx", "-o", tmp.path("d"), "/bin/true"}, "'-x' in '-qx'", ""},
        {{"record", "--duraton=1", "-a", "-o", tmp.path("e")}, "'--duraton'", "--duration"},
        {{"info", "--jsno", tmp.path("a")}, "'--jsno'", "--json"},
        {{"list", "--bogus"}, "'--bogus'", ""},
        {{"analyze", tmp.path("a"), "--tiem", "0,1"}, "'--tiem'", "--time"},
        {{"diff", "--bogus", tmp.path("a"), tmp.path("b")}, "'--bogus'", ""},
        {{"--bogus", "record", "-o", tmp.path("f"), "/bin/true"}, "'--bogus'", ""},
    };
    for (auto& c : cases) {
        std::vector<std::string> argv{kiln_bin()};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        const auto r = run(argv);
        std::string joined;
        for (const auto& a : c.args) joined += a + " ";
        EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
        EXPECT_NE(r.err.find("unknown option " + c.named), std::string::npos) << joined << "\n" << r.err;
        if (!c.suggest.empty()) {
            EXPECT_NE(r.err.find("did you mean " + c.suggest), std::string::npos) << joined << "\n" << r.err;
        }
        EXPECT_NE(r.err.find("--help` lists the options"), std::string::npos) << r.err;
    }
    for (const char* name : {"a", "b", "c", "d", "e", "f"})
        EXPECT_NE(access(tmp.path(name).c_str(), F_OK), 0) << name << ": nothing is recorded";
}

// What follows the command's first word is the command's, known to kiln or not; so are
// grouped short flags, attached values and a bare -g or --mem.
TEST(KilnCommandLine, OptionsAfterTheCommandBelongToIt) {
    TempDir tmp;
    auto r = run({kiln_bin(), "record", "-q", "-e", "cpu-clock", "-o", tmp.path("a"), "/bin/sh", "-c",
                  "exit 0", "--off-cpus"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(access(tmp.path("a").c_str(), F_OK), 0);
    r = run({kiln_bin(), "record", "-qe", "cpu-clock", "-F99", "-g", "-o", tmp.path("b"), "--", "/bin/true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(access(tmp.path("b").c_str(), F_OK), 0);
}

TEST(InfoErrors, MissingTruncatedAndForeignFiles) {
    TempDir tmp;
    expect_clean_failure(run({kiln_bin(), "info", tmp.path("missing.kiln")}), "No such file");
    {
        std::ofstream f(tmp.path("garbage"));
        f << "this is not a recording at all";
    }
    expect_clean_failure(run({kiln_bin(), "info", tmp.path("garbage")}), "not a kiln recording");
    {
        std::ofstream f(tmp.path("short"));
        f << "KILN";
    }
    expect_clean_failure(run({kiln_bin(), "info", tmp.path("short")}), "too short");
    expect_clean_failure(run({kiln_bin(), "info", tmp.dir()}), "not a regular file");
}

TEST(ListCommand, ShowsSoftwareEventsAndTracepoints) {
    auto r = run({kiln_bin(), "list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("cpu-clock"), std::string::npos);
    EXPECT_NE(r.out.find("sched"), std::string::npos);
}

// libpfm4 costs every process that links it ~5 ms of relocations, so kiln loads it only
// for names its own tables do not know (LD_DEBUG=files shows each library as it loads).
TEST(KilnCommandLine, LibpfmIsLoadedOnlyForEventsThatNeedIt) {
    TempDir tmp;
    auto loads_libpfm = [](const RunResult& r) { return r.err.find("file=libpfm.so.4") != std::string::npos; };
    auto plain = run({"/usr/bin/env", "LD_DEBUG=files", kiln_bin(), "record", "-q", "-o", tmp.path("c.kiln"), "--",
                      "/bin/true"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_FALSE(loads_libpfm(plain)) << "the default event (cycles) loaded libpfm4";
    EXPECT_NE(plain.err.find("file="), std::string::npos) << "LD_DEBUG=files printed nothing:\n" << plain.err;
    auto list = run({"/usr/bin/env", "LD_DEBUG=files", kiln_bin(), "list"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_FALSE(loads_libpfm(list)) << "kiln list loaded libpfm4 for the generic hardware events";
    // A misspelt name is compared with every name libpfm4 knows here.
    auto misspelt = run({"/usr/bin/env", "LD_DEBUG=files", kiln_bin(), "record", "-e", "cyclez", "-o",
                         tmp.path("x.kiln"), "--", "/bin/true"});
    EXPECT_NE(misspelt.exit_code, 0);
    EXPECT_TRUE(loads_libpfm(misspelt)) << misspelt.err;
    EXPECT_NE(misspelt.err.find("did you mean: cycles"), std::string::npos) << misspelt.err;
}

// kiln hands analyze and diff to kiln-analyze beside it: --help still lists them, the
// arguments arrive unchanged, and a kiln copied without it says what is missing.
TEST(KilnCommandLine, AnalyzeAndDiffRunBesideKiln) {
    auto help = run({kiln_bin(), "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.err;
    for (const char* verb : {"record", "info", "list", "analyze", "diff"})
        EXPECT_NE(help.out.find(std::string("\n  ") + verb + " "), std::string::npos) << verb << " missing from:\n" << help.out;
    auto analyze_help = run({kiln_bin(), "analyze", "--help"});
    EXPECT_EQ(analyze_help.exit_code, 0) << analyze_help.err;
    EXPECT_NE(analyze_help.out.find("--pprof"), std::string::npos) << analyze_help.out;
    expect_clean_failure(run({kiln_bin(), "analyze", "/nonexistent/r.kiln"}), "/nonexistent/r.kiln");

    TempDir dir;
    const std::string alone = dir.path("kiln");
    ASSERT_EQ(run({"/bin/cp", kiln_bin(), alone}).exit_code, 0);
    for (const char* verb : {"analyze", "diff"}) {
        auto r = run({alone, verb, "x.kiln"});
        expect_clean_failure(r, dir.path("kiln-analyze"));
        EXPECT_EQ(r.exit_code, 127);
    }
}

TEST(RecordErrors, PermissionDeniedNamesTheFix) {
    if (getuid() != 0) GTEST_SKIP() << "needs root to drop to an unprivileged user";
    const int paranoid = perf_event_paranoid();
    if (paranoid < 1) GTEST_SKIP() << "perf_event_paranoid < 1 lets anyone record the whole machine";
    TempDir tmp;
    ASSERT_EQ(chmod(tmp.dir().c_str(), 0777), 0);
    // nobody may not record the whole machine while perf_event_paranoid >= 1.
    auto r = run({kiln_bin(), "record", "-e", "cpu-clock", "-a", "-d", "0.1", "-o", tmp.path("x")}, 65534);
    expect_clean_failure(r, "perf_event_paranoid");
    EXPECT_NE(r.err.find("CAP_PERFMON"), std::string::npos) << r.err;
}

TEST(RecordErrors, UnprivilegedUserRecordsItsOwnCommandInUserSpace) {
    if (getuid() != 0) GTEST_SKIP() << "needs root to drop to an unprivileged user";
    const int paranoid = perf_event_paranoid();
    if (paranoid < 2) GTEST_SKIP() << "kernel sampling is allowed here";
    TempDir tmp;
    ASSERT_EQ(chmod(tmp.dir().c_str(), 0777), 0);
    auto r = run({kiln_bin(), "record", "-o", tmp.path("u.kiln"), "--", workload("cpu_split_fp"), "0.3"}, 65534);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("user space only"), std::string::npos) << r.err;
    EXPECT_GT(info_json(tmp.path("u.kiln"))["samples"].get<uint64_t>(), 150u);
}
