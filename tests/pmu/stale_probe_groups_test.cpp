// uprobe_events' text → the kiln_PID groups in it; other groups and malformed names are not ours.
#include <gtest/gtest.h>

#include "pmu/stale_probe_groups.h"

namespace kiln::pmu {
namespace {

TEST(StaleProbeGroups, GroupsOfKilnRecordersByPid) {
    const auto groups = kiln_probe_groups(
        "p:kiln_123/p0 /usr/lib/x86_64-linux-gnu/libc.so.6:0x0000000000099e90\n"
        "r:kiln_123/p1 /usr/lib/x86_64-linux-gnu/libc.so.6:0x0000000000099e90\n"
        "p:probe_libc/malloc /usr/lib/x86_64-linux-gnu/libc.so.6:0x0000000000099e90\n"
        "p:kiln_7/p12 /bin/app:0x10\n"
        "p:kiln_/p0 /bin/app:0x10\n"
        "p:kiln_12x/p0 /bin/app:0x10\n"
        "p:kiln_0/p0 /bin/app:0x10\n"
        "p:kilnish_5/p0 /bin/app:0x10\n"
        "garbage\n"
        "p:kiln_9/p3 /bin/app:0x10");  // no final newline
    EXPECT_EQ(groups, (std::map<int, std::vector<std::string>>{
                          {7, {"kiln_7/p12"}}, {9, {"kiln_9/p3"}}, {123, {"kiln_123/p0", "kiln_123/p1"}}}));
    EXPECT_TRUE(kiln_probe_groups("").empty());
}

TEST(StaleProbeGroups, DescribeNamesTheDeadRecorderAndTheFailures) {
    ProbeCleanup c;
    c.removed[42] = 2;
    c.removed[43] = 1;
    c.failures.push_back("kiln_44/p0: Permission denied");
    const auto lines = describe(c);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "removed 2 uprobes left in tracefs by kiln pid 42, which is no longer running");
    EXPECT_EQ(lines[1], "removed 1 uprobe left in tracefs by kiln pid 43, which is no longer running");
    EXPECT_EQ(lines[2], "cannot remove the stale uprobe kiln_44/p0: Permission denied");
}

TEST(StaleProbeGroups, PidOneAndAMissingPidAreNoKilnRecorders) {
    EXPECT_FALSE(kiln_process_running(1));
    EXPECT_FALSE(kiln_process_running(999999999));
}

}  // namespace
}  // namespace kiln::pmu
