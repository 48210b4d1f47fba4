// The /proc parsers of the counter sampler, fed fixed texts as kernels print them.
#include <gtest/gtest.h>

#include "recorder/counter_parse.h"

using namespace kiln::recorder;

TEST(CounterParse, Loadavg) {
    auto l = parse_loadavg("0.52 1.58 12.09 3/1046 123456\n");
    ASSERT_TRUE(l.ok()) << l.error().message;
    EXPECT_EQ(l->load1_milli, 520u);
    EXPECT_EQ(l->load5_milli, 1580u);
    EXPECT_EQ(l->load15_milli, 12090u);
    EXPECT_EQ(l->running, 3u);
    EXPECT_EQ(l->threads, 1046u);
    EXPECT_FALSE(parse_loadavg("").ok());
    EXPECT_FALSE(parse_loadavg("0.52 1.58 12.09 31046 1\n").ok());
    EXPECT_FALSE(parse_loadavg("0,52 1.58 12.09 3/1046 1\n").ok());
}

TEST(CounterParse, ProcStat) {
    const char* text =
        "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0\n"
        "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0\n"
        "cpu1 1335417 37470 454712 13458227 3590 1 6 7 34000 0\n"
        "intr 114930548 113199788 3 0 5 263 0 4 [...]\n"
        "ctxt 1990473\n"
        "btime 1062191376\n"
        "processes 2915\n"
        "procs_running 7\n"
        "procs_blocked 2\n"
        "softirq 183433 0 21755 12 39 1137 231 21459 2263\n";
    ProcStat st;
    ASSERT_TRUE(parse_proc_stat(text, st).ok());
    EXPECT_EQ(st.procs_running, 7u);
    EXPECT_EQ(st.procs_blocked, 2u);
    ASSERT_EQ(st.cpus.size(), 2u);  // the "cpu" total is not a CPU
    EXPECT_EQ(st.cpus[0].cpu, 0u);
    EXPECT_EQ(st.cpus[0].busy_ticks, 1393280u + 32966 + 572056 + 0 + 17875 + 0);
    EXPECT_EQ(st.cpus[0].idle_ticks, 13343292u + 6130);
    EXPECT_EQ(st.cpus[1].busy_ticks, 1335417u + 37470 + 454712 + 1 + 6 + 7);  // guest is inside user
    // A refill clears what the last tick left.
    ASSERT_TRUE(parse_proc_stat("cpu3 1 2 3 4\nprocs_running 1\nprocs_blocked 0\n", st).ok());
    ASSERT_EQ(st.cpus.size(), 1u);
}

TEST(CounterParse, ProcStatWithFewerColumns) {
    // Linux 2.6.0 printed seven columns (no steal), 2.4 four.
    ProcStat st;
    ASSERT_TRUE(parse_proc_stat("cpu 9 9 9 9\ncpu0 100 5 20 1000 7 3 2\ncpu12 1 2 3 4\n"
                                "procs_running 1\nprocs_blocked 0\n",
                                st)
                    .ok());
    ASSERT_EQ(st.cpus.size(), 2u);
    EXPECT_EQ(st.cpus[0].busy_ticks, 100u + 5 + 20 + 3 + 2);
    EXPECT_EQ(st.cpus[0].idle_ticks, 1007u);
    EXPECT_EQ(st.cpus[1].cpu, 12u);
    EXPECT_EQ(st.cpus[1].busy_ticks, 6u);
    EXPECT_EQ(st.cpus[1].idle_ticks, 4u);
}

TEST(CounterParse, ProcStatRejectsGarbage) {
    ProcStat st;
    EXPECT_FALSE(parse_proc_stat("cpu0 1 2 x 4\nprocs_running 1\nprocs_blocked 0\n", st).ok());
    EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4\n", st).ok());  // no procs_* lines
    EXPECT_FALSE(parse_proc_stat("", st).ok());
}

TEST(CounterParse, PressureWithFullLine) {
    auto p = parse_pressure(
        "some avg10=12.34 avg60=0.50 avg300=0.10 total=1234567\n"
        "full avg10=0.05 avg60=0.00 avg300=0.00 total=890\n");
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_TRUE(p->present);
    EXPECT_EQ(p->some.avg10_centi, 1234u);
    EXPECT_EQ(p->some.total_us, 1234567u);
    EXPECT_EQ(p->full.avg10_centi, 5u);
    EXPECT_EQ(p->full.total_us, 890u);
}

TEST(CounterParse, PressureWithoutFullLine) {
    // /proc/pressure/cpu before Linux 5.13.
    auto p = parse_pressure("some avg10=100.00 avg60=99.90 avg300=80.00 total=42\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->some.avg10_centi, 10000u);
    EXPECT_EQ(p->full.avg10_centi, 0u);
    EXPECT_EQ(p->full.total_us, 0u);
    EXPECT_FALSE(parse_pressure("").ok());
    EXPECT_FALSE(parse_pressure("some avg10=1.00 avg60=0.00\n").ok());  // no total
}

namespace {
// A real /proc/PID/stat line (52 fields), with the comm given.
std::string stat_line(const std::string& comm, const char* flags = "4194560") {
    return "4242 (" + comm + ") S 1 4242 4242 0 -1 " + flags +
           " 1234 0 5 0 150 37 0 0 20 0 3 0 98765 123456789 2500 18446744073709551615 1 1 0 0 0 0 0 "
           "4096 17408 0 0 0 17 2 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
}
}  // namespace

TEST(CounterParse, PidStat) {
    auto st = parse_pid_stat(stat_line("spinner"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(st->pid, 4242);
    EXPECT_EQ(st->state, 'S');
    EXPECT_EQ(st->utime, 150u);
    EXPECT_EQ(st->stime, 37u);
    EXPECT_EQ(st->rss_pages, 2500u);
    EXPECT_FALSE(st->kernel_thread());
}

TEST(CounterParse, PidStatCommWithSpacesAndParens) {
    auto st = parse_pid_stat(stat_line("a b) S 9 (x)"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(st->utime, 150u);
    EXPECT_EQ(st->rss_pages, 2500u);
    EXPECT_EQ(st->state, 'S');
}

TEST(CounterParse, PidStatKernelThread) {
    auto st = parse_pid_stat(stat_line("kworker/0:1-events", "69238880"));  // 0x4208060: PF_KTHREAD set
    ASSERT_TRUE(st.ok());
    EXPECT_TRUE(st->kernel_thread());
}

TEST(CounterParse, PidStatRejectsCutText) {
    EXPECT_FALSE(parse_pid_stat("").ok());
    EXPECT_FALSE(parse_pid_stat("4242 (spinner) S 1 4242").ok());
    EXPECT_FALSE(parse_pid_stat("4242 spinner S 1").ok());
}

TEST(CounterParse, PidStatus) {
    auto s = parse_pid_status(
        "Name:\tspinner\nUmask:\t0022\nState:\tR (running)\nTgid:\t4242\nThreads:\t3\n"
        "VmRSS:\t    1024 kB\nvoluntary_ctxt_switches:\t17\nnonvoluntary_ctxt_switches:\t  250\n");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->voluntary_switches, 17u);
    EXPECT_EQ(s->involuntary_switches, 250u);
    EXPECT_FALSE(parse_pid_status("Name:\tx\nvoluntary_ctxt_switches:\t17\n").ok());
}

TEST(CounterParse, PidIo) {
    auto io = parse_pid_io(
        "rchar: 323934931\nwchar: 323929600\nsyscr: 632687\nsyscw: 632675\n"
        "read_bytes: 4096\nwrite_bytes: 323932160\ncancelled_write_bytes: 7\n");
    ASSERT_TRUE(io.ok()) << io.error().message;
    EXPECT_EQ(io->read_bytes, 4096u);
    EXPECT_EQ(io->write_bytes, 323932160u);
    EXPECT_FALSE(parse_pid_io("rchar: 1\nwchar: 2\n").ok());
}
