// Nothing left behind: a recorder killed with SIGKILL while its --mem uprobes are armed leaves
// its kiln_PID group in tracefs; `kiln record --cleanup` and the next recording remove the
// groups of recorders that are no longer running, and only those.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

std::string uprobe_events() { return read_text("/sys/kernel/tracing/uprobe_events"); }

bool has_group(pid_t recorder) { return uprobe_events().find("kiln_" + std::to_string(recorder) + "/") != std::string::npos; }

// kiln record --mem=malloc of a sleeping command, in the background; its pid once its probes are
// in tracefs (0 when they never appeared).
pid_t start_mem_recorder(const TempDir& tmp, const std::string& name) {
    const pid_t pid = spawn({kiln_bin(), "record", "--mem=malloc", "-o", tmp.path(name + ".kiln"), "--", "/bin/sleep",
                             "60"},
                            tmp.path(name + ".err"));
    // Probes are made before the file's header is written, and signals are handled from then on.
    const std::string out = tmp.path(name + ".kiln");
    if (!wait_until([&] { return has_group(pid) && std::filesystem::exists(out) && std::filesystem::file_size(out) > 0; },
                    60)) {
        ::kill(-pid, SIGKILL);
        wait_for(pid);
        ADD_FAILURE() << "no kiln_" << pid << " group appeared; stderr: " << read_text(tmp.path(name + ".err"));
        return 0;
    }
    return pid;
}

// A recorder killed with SIGKILL, with its command: its group stays in tracefs.
pid_t killed_recorder(const TempDir& tmp, const std::string& name) {
    const pid_t pid = start_mem_recorder(tmp, name);
    if (pid == 0) return 0;
    ::kill(-pid, SIGKILL);  // the recorder and the sleep it runs (one process group)
    wait_for(pid);
    EXPECT_TRUE(has_group(pid)) << "the kernel kept no probes of a killed recorder: nothing to test";
    return pid;
}

}  // namespace

TEST(StaleProbes, CleanupRemovesTheGroupsOfDeadRecordersOnlyAndSaysSo) {
    TempDir tmp;
    // The running one first: a recorder's start removes dead ones' groups itself.
    const pid_t live = start_mem_recorder(tmp, "live");
    ASSERT_NE(live, 0);
    const pid_t dead = killed_recorder(tmp, "dead");
    ASSERT_NE(dead, 0);

    auto r = run_kiln({"record", "--cleanup"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("left in tracefs by kiln pid " + std::to_string(dead) + ", which is no longer running"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("kiln pid " + std::to_string(live) + ","), std::string::npos) << r.err;
    EXPECT_FALSE(has_group(dead)) << uprobe_events();
    EXPECT_TRUE(has_group(live)) << "a running recorder's probes were removed";

    // The running recorder still works and removes its own probes when it ends.
    ::kill(-live, SIGINT);
    const int status = wait_for(live);
    EXPECT_TRUE(WIFEXITED(status)) << status;
    EXPECT_FALSE(has_group(live));
    auto info = run_kiln({"info", tmp.path("live.kiln")});
    EXPECT_EQ(info.exit_code, 0) << info.err;

    auto again = run_kiln({"record", "--cleanup"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("no uprobes of dead recorders"), std::string::npos) << again.err;
}

TEST(StaleProbes, TheNextRecordingRemovesThemToo) {
    TempDir tmp;
    const pid_t dead = killed_recorder(tmp, "dead");
    ASSERT_NE(dead, 0);
    auto r = run_kiln({"record", "-e", "cpu-clock", "-o", tmp.path("next.kiln"), "--", "/bin/true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("kiln: removed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("kiln pid " + std::to_string(dead) + ","), std::string::npos) << r.err;
    EXPECT_FALSE(has_group(dead)) << uprobe_events();
}
