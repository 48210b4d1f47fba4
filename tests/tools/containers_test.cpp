// Containers: a process whose binary exists only in its own mount namespace (unshare -m, a
// tmpfs over a directory that is empty on the host) symbolizes after it exited, through the
// copy kiln record keeps in its build-id cache; without that copy its frames stay unnamed. With
// --archive the recording carries its binaries: it symbolizes and unwinds (DWARF) where neither
// the files nor the caches are.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

// The shell words that run cpu_split_fp as DIR/app inside a new mount namespace, where DIR is a
// tmpfs only that namespace sees.
std::vector<std::string> in_own_mount_namespace(const std::string& dir, const std::string& seconds,
                                                const std::string& binary = "cpu_split_fp") {
    return {"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
            "mount -t tmpfs none " + dir + " && cp " + workload(binary) + " " + dir + "/app && exec " + dir + "/app " +
                seconds};
}

double leaf_share(const std::map<std::string, double>& folded, const std::string& process, const std::string& leaf) {
    double all = 0, mine = 0;
    for (const auto& [stack, v] : folded) {
        if (!stack.starts_with(process + ";")) continue;
        all += v;
        if (stack.ends_with(";" + leaf)) mine += v;
    }
    return all > 0 ? mine / all : 0;
}

struct Caches {
    TempDir tmp;
    std::string kiln_cache = tmp.path("kiln-cache"), empty = tmp.path("empty");
    // perf's build-id cache may hold the workload from a perf record on this machine.
    ScopedEnv no_perf_cache{"PERF_BUILDID_DIR", tmp.path("no-perf-cache")};

    // An empty directory for the app: the mount namespace puts a tmpfs over it.
    std::string app_dir() const {
        const std::string dir = tmp.path("app-dir");
        std::filesystem::create_directories(dir);
        return dir;
    }
    // kiln ARGS with kiln's cache in kiln_cache (where the recorder copies to, and the analyzer looks).
    RunResult run_with_cache(const std::vector<std::string>& args) const {
        ScopedEnv cache("KILN_CACHE_DIR", kiln_cache);
        return run_kiln(args);
    }
};

void expect_named_only_with_the_cache(const Caches& c, const std::string& recording) {
    std::map<std::string, double> named, unnamed;
    {
        auto r = c.run_with_cache({"analyze", recording, "--folded", "-"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        named = parse_folded(r.out);
    }
    const double a = leaf_share(named, "app", "hot_a"), b = leaf_share(named, "app", "hot_b");
    EXPECT_GT(a + b, 0.8) << "app's samples are not named from the cached copy";
    if (a + b > 0) {
        EXPECT_NEAR(a / (a + b), 0.75, 0.08);
    }
    {
        ScopedEnv cache("KILN_CACHE_DIR", c.empty);
        auto r = run_kiln({"analyze", recording, "--folded", "-"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        unnamed = parse_folded(r.out);
    }
    EXPECT_EQ(leaf_share(unnamed, "app", "hot_a"), 0) << "named without the copy: the test proves nothing";
}

}  // namespace

TEST(Containers, ACommandsBinaryInItsOwnMountNamespaceSymbolizesAfterItExits) {
    Caches c;
    const std::string dir = c.app_dir();
    const std::string rec = c.tmp.path("ns.kiln");
    auto words = in_own_mount_namespace(dir, "2.0");
    words.insert(words.begin(), {"record", "-e", "cpu-clock", "-F", "999", "-g", "fp", "-o", rec, "--"});
    const RunResult r = c.run_with_cache(words);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("copied 1 binary"), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::is_empty(dir)) << "the host sees the binary: nothing to test";
    expect_named_only_with_the_cache(c, rec);
}

TEST(Containers, ARunningProcessInItsOwnMountNamespaceIsCapturedFromTheSnapshot) {
    Caches c;
    const std::string dir = c.app_dir();
    const pid_t pid = spawn(in_own_mount_namespace(dir, "30"));
    struct Kill {
        pid_t pid;
        ~Kill() {
            ::kill(-pid, SIGKILL);
            wait_for(pid);
        }
    } kill_it{pid};
    // unshare and sh exec in place: the pid becomes app once the copy is made.
    ASSERT_TRUE(wait_until([&] { return read_text("/proc/" + std::to_string(pid) + "/comm") == "app\n"; }, 30));
    const std::string rec = c.tmp.path("p.kiln");
    const RunResult r =
        c.run_with_cache({"record", "-e", "cpu-clock", "-F", "999", "-g", "fp", "-p", std::to_string(pid), "-d", "1", "-o", rec});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("copied 1 binary"), std::string::npos) << r.err;
    ::kill(-pid, SIGKILL);
    expect_named_only_with_the_cache(c, rec);
}

TEST(Containers, AnArchivedRecordingSymbolizesAndUnwindsWithoutTheFilesOrTheCaches) {
    Caches c;
    const std::string dir = c.app_dir();
    const std::string rec = c.tmp.path("archived.kiln");
    auto words = in_own_mount_namespace(dir, "2.0", "cpu_split_nofp");
    words.insert(words.begin(), {"record", "-e", "cpu-clock", "-F", "999", "-g", "dwarf", "--archive", "-o", rec, "--"});
    const RunResult r = c.run_with_cache(words);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("in the recording"), std::string::npos) << r.err;
    const auto info = info_json(rec);
    EXPECT_GE(info["archived_binaries"].get<int>(), 2) << "the app and libc at least";
    // Another machine: no file at the recorded path, nothing in either build-id cache.
    std::filesystem::remove_all(c.kiln_cache);
    ScopedEnv cache("KILN_CACHE_DIR", c.empty);
    auto a = run_kiln({"analyze", rec, "--folded", "-"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const auto folded = parse_folded(a.out);
    const double hot_a = leaf_share(folded, "app", "hot_a"), hot_b = leaf_share(folded, "app", "hot_b");
    EXPECT_GT(hot_a + hot_b, 0.8) << a.out;
    if (hot_a + hot_b > 0) {
        EXPECT_NEAR(hot_a / (hot_a + hot_b), 0.75, 0.08);
    }
    // DWARF unwinding through the archived copy: the leaves' stacks reach main.
    double leaves = 0, whole = 0;
    for (const auto& [stack, v] : folded) {
        if (!stack.starts_with("app;") || !(stack.ends_with(";hot_a") || stack.ends_with(";hot_b"))) continue;
        leaves += v;
        if (stack.find(";main;") != std::string::npos) whole += v;
    }
    EXPECT_GT(whole, 0.95 * leaves) << a.out;

    auto refused = run_kiln({"record", "--archive", "--switch-output", "1s", "-o", c.tmp.path("s.kiln"), "--", "/bin/true"});
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("--switch-output"), std::string::npos) << refused.err;
}

// Samples carry host pids; a process of another pid namespace also shows its pid there. The
// recorder learns of a new process from its FORK record, drained up to a second later: the
// processes here live 2 s (one that ends sooner may go without its namespace pid), as do the
// mount-namespace ones whose MMAP2 records lead to their copies.
TEST(Containers, AProcessInItsOwnPidNamespaceShowsItsPidThere) {
    TempDir tmp;
    const std::string rec = tmp.path("pidns.kiln");
    auto r = run_kiln({"record", "-e", "cpu-clock", "-F", "999", "-o", rec, "--", "/usr/bin/unshare", "--pid", "--fork",
                       "/bin/sh", "-c", "exec " + workload("cpu_split_fp") + " 2.0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto info = info_json(rec);
    bool found = false;
    for (const auto& p : info["processes"]) {
        if (p["name"] != "cpu_split_fp") continue;
        found = true;
        EXPECT_GT(p["pid"].get<int>(), 1) << "samples carry the host's pid";
        EXPECT_EQ(p["namespace_pids"], nlohmann::json::array({1})) << p.dump();
        EXPECT_GT(p["samples"].get<int>(), 100);
    }
    EXPECT_TRUE(found) << info.dump();
    auto text = run_kiln({"info", rec});
    EXPECT_NE(text.out.find("(pid 1 in its pid namespace)"), std::string::npos) << text.out;
}
