// CounterReader over a fake /proc (fixed files) and over this machine's own /proc.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "recorder/counter_reader.h"
#include "tests/temp_dir.h"

using namespace kiln::recorder;
using kiln::test::TempDir;

TEST(CounterReader, ReadsAFakeProcTree) {
    TempDir tmp;
    std::filesystem::create_directories(tmp.path("pressure"));
    std::filesystem::create_directories(tmp.path("77"));
    std::filesystem::create_directories(tmp.path("2"));
    tmp.write("loadavg", "2.50 1.00 0.25 4/300 999\n");
    tmp.write("stat", "cpu  1 1 1 1\ncpu0 10 0 5 100 2 0 0 0\ncpu1 1 2 3 4\nprocs_running 4\nprocs_blocked 1\n");
    tmp.write("pressure/cpu", "some avg10=1.50 avg60=0.00 avg300=0.00 total=10\n");
    tmp.write("pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=2\n");
    // no pressure/memory: present = false
    tmp.write("77/stat", "77 (my (prog)) R 1 77 77 0 -1 4194560 0 0 0 0 300 20 0 0 20 0 1 0 5 100 10 0 0 0\n");
    tmp.write("77/status", "Name:\tmy (prog)\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t6\n");
    tmp.write("77/io", "read_bytes: 8192\nwrite_bytes: 0\n");
    tmp.write("2/stat", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2 0 0 0 0 0\n");
    tmp.write("2/status", "Name:\tkthreadd\nvoluntary_ctxt_switches:\t1\nnonvoluntary_ctxt_switches:\t0\n");

    CounterReader reader(tmp.dir());
    kiln::format::MachineCounters m;
    reader.read_machine(m);
    EXPECT_EQ(m.load1_milli, 2500u);
    EXPECT_EQ(m.loadavg_running, 4u);
    EXPECT_EQ(m.procs_running, 4u);
    EXPECT_EQ(m.procs_blocked, 1u);
    ASSERT_EQ(m.cpus.size(), 2u);
    EXPECT_EQ(m.cpus[0].busy_ticks, 15u);
    EXPECT_EQ(m.cpus[0].idle_ticks, 102u);
    EXPECT_TRUE(m.cpu.present);
    EXPECT_EQ(m.cpu.some.avg10_centi, 150u);
    EXPECT_FALSE(m.memory.present);
    EXPECT_TRUE(m.io.present);
    EXPECT_EQ(m.io.full.total_us, 2u);

    // The open files are read again from offset 0: a changed file gives the new values.
    tmp.write("loadavg", "9.00 1.00 0.25 12/300 999\n");
    reader.read_machine(m);
    EXPECT_EQ(m.load1_milli, 9000u);
    EXPECT_EQ(m.loadavg_running, 12u);

    kiln::format::ProcessCounters p;
    ASSERT_TRUE(reader.read_process(77, p));
    EXPECT_EQ(p.pid, 77);
    EXPECT_EQ(p.cpu_ticks, 320u);
    EXPECT_EQ(p.rss_bytes, 10u * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
    EXPECT_TRUE(p.has_io);
    EXPECT_EQ(p.read_bytes, 8192u);
    EXPECT_EQ(p.voluntary_switches, 5u);
    EXPECT_EQ(p.involuntary_switches, 6u);
    EXPECT_FALSE(reader.read_process(12345, p));  // gone: skipped

    std::vector<kiln::format::ProcessCounters> all;
    reader.read_all_processes(all);
    ASSERT_EQ(all.size(), 1u);  // pid 2 is a kernel thread (PF_KTHREAD)
    EXPECT_EQ(all[0].pid, 77);
}

// Every process is scanned each --proc-interval: one that has not run since (same CPU time)
// keeps its last switches and I/O without its status and io being read again.
TEST(CounterReader, ProcessesThatDidNotRunAreNotReadAgain) {
    TempDir tmp;
    std::filesystem::create_directories(tmp.path("77"));
    auto stat = [&](int utime, int start) {
        tmp.write("77/stat", "77 (prog) S 1 77 77 0 -1 4194560 0 0 0 0 " + std::to_string(utime) +
                                 " 20 0 0 20 0 1 0 " + std::to_string(start) + " 100 10 0 0 0\n");
    };
    auto status = [&](int voluntary) {
        tmp.write("77/status", "Name:\tprog\nvoluntary_ctxt_switches:\t" + std::to_string(voluntary) +
                                   "\nnonvoluntary_ctxt_switches:\t1\n");
    };
    stat(300, 5);
    status(5);
    tmp.write("77/io", "read_bytes: 4096\nwrite_bytes: 0\n");
    CounterReader reader(tmp.dir());
    auto scan = [&] {
        std::vector<kiln::format::ProcessCounters> all;
        reader.read_all_processes(all);
        EXPECT_EQ(all.size(), 1u);
        return all.empty() ? kiln::format::ProcessCounters{} : all[0];
    };
    EXPECT_EQ(scan().voluntary_switches, 5u);
    status(9);  // switched without a tick of CPU time: not read yet
    tmp.write("77/stat", "77 (prog) S 1 77 77 0 -1 4194560 0 0 0 0 300 20 0 0 20 0 1 0 5 100 12 0 0 0\n");
    const auto same = scan();
    EXPECT_EQ(same.voluntary_switches, 5u);
    EXPECT_EQ(same.read_bytes, 4096u);
    EXPECT_EQ(same.rss_bytes, 12u * static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) << "RSS is in stat: always current";
    EXPECT_EQ(reader.reads_skipped(), 2u);
    stat(301, 5);  // it ran: read again
    EXPECT_EQ(scan().voluntary_switches, 9u);
    status(11);
    stat(301, 6);  // another process under the same pid (a later start time)
    EXPECT_EQ(scan().voluntary_switches, 11u);
    EXPECT_EQ(reader.reads_skipped(), 2u);
}

TEST(CounterReader, ReadsThisMachine) {
    CounterReader reader;
    kiln::format::MachineCounters m;
    reader.read_machine(m);
    EXPECT_GE(m.procs_running, 1u);  // this thread runs
    EXPECT_EQ(m.cpus.size(), static_cast<size_t>(sysconf(_SC_NPROCESSORS_ONLN))) << "cpuN lines of /proc/stat";
    EXPECT_GT(m.loadavg_threads, 0u);

    kiln::format::ProcessCounters self;
    ASSERT_TRUE(reader.read_process(getpid(), self));
    EXPECT_GT(self.rss_bytes, 0u);

    // A process that exited and was reaped is skipped silently.
    const pid_t child = fork();
    if (child == 0) _exit(0);
    ASSERT_GT(child, 0);
    int st = 0;
    ASSERT_EQ(waitpid(child, &st, 0), child);
    kiln::format::ProcessCounters gone;
    EXPECT_FALSE(reader.read_process(child, gone));

    std::vector<kiln::format::ProcessCounters> all;
    reader.read_all_processes(all);
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const auto& p) { return p.pid == getpid(); }));
    EXPECT_TRUE(std::none_of(all.begin(), all.end(), [](const auto& p) { return p.pid == 2; }))
        << "kthreadd is a kernel thread";
}
