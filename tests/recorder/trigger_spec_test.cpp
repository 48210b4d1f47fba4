// parse_trigger: the forms of `kiln monitor --trigger` and the errors of the wrong ones.
#include <gtest/gtest.h>

#include "recorder/trigger_spec.h"

using namespace kiln::recorder;

namespace {

TriggerSpec parse_ok(const char* text) {
    auto r = parse_trigger(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : TriggerSpec{};
}

std::string parse_error(const char* text) {
    auto r = parse_trigger(text);
    EXPECT_FALSE(r.ok()) << text << " was accepted";
    return r.ok() ? "" : r.error().message;
}

}  // namespace

TEST(TriggerSpec, ParsesEveryForm) {
    TriggerSpec s = parse_ok("load>=8");
    EXPECT_EQ(s.kind, TriggerKind::kLoad);
    EXPECT_EQ(s.threshold, 8);
    EXPECT_EQ(s.text, "load>=8");

    s = parse_ok("psi:cpu>=50%");
    EXPECT_EQ(s.kind, TriggerKind::kPsi);
    EXPECT_EQ(s.resource, PsiResource::kCpu);
    EXPECT_FALSE(s.full);
    EXPECT_EQ(s.threshold, 50);

    s = parse_ok("psi:io.full>=10%");
    EXPECT_EQ(s.resource, PsiResource::kIo);
    EXPECT_TRUE(s.full);
    EXPECT_EQ(s.threshold, 10);

    s = parse_ok("psi:memory>=12.5%");
    EXPECT_EQ(s.resource, PsiResource::kMemory);
    EXPECT_DOUBLE_EQ(s.threshold, 12.5);
    EXPECT_EQ(parse_ok("psi:memory.full>=100%").threshold, 100);

    s = parse_ok("cpu:1234>=150%");
    EXPECT_EQ(s.kind, TriggerKind::kCpuShare);
    EXPECT_EQ(s.pid, 1234);
    EXPECT_EQ(s.threshold, 150);

    EXPECT_EQ(parse_ok("signal").kind, TriggerKind::kSignal);

    s = parse_ok("event:sched:sched_process_exec");
    EXPECT_EQ(s.kind, TriggerKind::kEvent);
    EXPECT_EQ(s.event, "sched:sched_process_exec");
    EXPECT_EQ(s.threshold, 1);

    s = parse_ok("event:sched:sched_process_exec/3");
    EXPECT_EQ(s.event, "sched:sched_process_exec");
    EXPECT_EQ(s.threshold, 3);
    EXPECT_EQ(s.text, "event:sched:sched_process_exec/3");
}

TEST(TriggerSpec, UprobePathSlashesAreNotACount) {
    TriggerSpec s = parse_ok("event:uprobe:/usr/lib/libc.so.6:malloc");
    EXPECT_EQ(s.event, "uprobe:/usr/lib/libc.so.6:malloc");
    EXPECT_EQ(s.threshold, 1);
    s = parse_ok("event:uprobe:/opt/app/bin/server:handle+0x10/25");
    EXPECT_EQ(s.event, "uprobe:/opt/app/bin/server:handle+0x10");
    EXPECT_EQ(s.threshold, 25);
    s = parse_ok("event:uretprobe:/bin/app:f/2");
    EXPECT_EQ(s.event, "uretprobe:/bin/app:f");
    EXPECT_EQ(s.threshold, 2);
}

TEST(TriggerSpec, RejectsWithTheSpecAndTheExpectedForm) {
    std::string e = parse_error("load>=0");
    EXPECT_NE(e.find("'load>=0'"), std::string::npos) << e;
    EXPECT_NE(e.find("load>=N"), std::string::npos) << e;

    e = parse_error("psi:disk>=5%");
    EXPECT_NE(e.find("'psi:disk>=5%'"), std::string::npos) << e;
    EXPECT_NE(e.find("unknown pressure resource 'disk'"), std::string::npos) << e;
    EXPECT_NE(e.find("cpu|memory|io"), std::string::npos) << e;

    e = parse_error("cpu:abc>=5%");
    EXPECT_NE(e.find("'abc' is not a pid"), std::string::npos) << e;
    EXPECT_NE(e.find("cpu:PID>=P%"), std::string::npos) << e;

    e = parse_error("psi:cpu>=150%");
    EXPECT_NE(e.find("cannot exceed 100%"), std::string::npos) << e;

    e = parse_error("event:");
    EXPECT_NE(e.find("no event named"), std::string::npos) << e;
    EXPECT_NE(e.find("event:EVENT[/N]"), std::string::npos) << e;

    e = parse_error("bogus");
    EXPECT_NE(e.find("expected one of load>=N"), std::string::npos) << e;
    EXPECT_NE(parse_error("").find("expected one of"), std::string::npos);
}

TEST(TriggerSpec, RejectsWhatWouldBeSilentlyWrong) {
    // '>' is not a synonym of '>=': for task counts it would be off by one.
    EXPECT_NE(parse_error("load>4").find("only '>=' compares"), std::string::npos);
    EXPECT_NE(parse_error("psi:cpu=5%").find("only '>='"), std::string::npos);
    EXPECT_NE(parse_error("psi:cpu>=50").find("not a percentage"), std::string::npos);
    EXPECT_NE(parse_error("psi:cpu>=0%").find("above 0%"), std::string::npos);
    EXPECT_NE(parse_error("psi:cpu>=-5%").find("not a percentage"), std::string::npos);
    EXPECT_NE(parse_error("psi:cpu.full>=5%").find("always 0"), std::string::npos);
    EXPECT_NE(parse_error("cpu:0>=5%").find("not a pid"), std::string::npos);
    EXPECT_NE(parse_error("cpu:12>=0%").find("above 0%"), std::string::npos);
    EXPECT_NE(parse_error("load>=2.5").find("task count"), std::string::npos);
    EXPECT_NE(parse_error("loadavg>=2").find("expected load>=N"), std::string::npos);
    EXPECT_NE(parse_error("event:sched:sched_switch/0").find("hit count"), std::string::npos);
    EXPECT_NE(parse_error("event:cycles").find("neither a tracepoint nor a uprobe"), std::string::npos);
    EXPECT_NE(parse_error("event:uprobe:/bin/x").find("bad probe"), std::string::npos);
    EXPECT_NE(parse_error("signal2").find("expected one of"), std::string::npos);
}

TEST(TriggerSpec, Describes) {
    EXPECT_EQ(describe(parse_ok("load>=8")), "runnable tasks >= 8");
    EXPECT_EQ(describe(parse_ok("psi:io.full>=10%")), "io pressure (full) >= 10% of the last second");
    EXPECT_EQ(describe(parse_ok("cpu:42>=150%")), "CPU use of pid 42 >= 150% over the last second");
    EXPECT_EQ(describe(parse_ok("event:sched:sched_process_exec/3")), "3 hits of sched:sched_process_exec");
    EXPECT_EQ(describe(parse_ok("event:sched:sched_process_exec")), "1 hit of sched:sched_process_exec");
    EXPECT_EQ(describe(parse_ok("signal")), "SIGUSR2 to kiln");
}
