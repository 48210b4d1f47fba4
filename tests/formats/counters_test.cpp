// COUNTERS chunk payloads: what is encoded decodes to the same values, and no cut or corrupt
// payload decodes without an error or makes the decoder allocate what the bytes cannot hold.
#include "formats/counters.h"

#include <gtest/gtest.h>

#include <cstring>

namespace kiln::format {
namespace {

CounterChunk sample_chunk() {
    CounterChunk c;
    c.ticks_per_second = 100;
    c.interval_ns = 100'000'000;
    for (int i = 0; i < 3; ++i) {
        CounterSnapshot s;
        s.time_ns = 1'000'000'000ull + static_cast<uint64_t>(i) * c.interval_ns;
        s.machine.load1_milli = 1250 + static_cast<uint32_t>(i);
        s.machine.load5_milli = 800;
        s.machine.load15_milli = 300;
        s.machine.loadavg_running = 3;
        s.machine.loadavg_threads = 412;
        s.machine.procs_running = 2 + static_cast<uint32_t>(i);
        s.machine.procs_blocked = 1;
        s.machine.cpus = {{0, 1000u + static_cast<uint64_t>(i) * 10, 5000}, {1, 2000, 4000u + static_cast<uint64_t>(i)}};
        s.machine.cpu = {true, {1234, 5'000'000}, {0, 0}};
        s.machine.memory = {true, {12, 300}, {5, 100}};
        s.machine.io = {};  // PSI off for io
        s.has_processes = i != 1;
        if (s.has_processes)
            s.processes = {{4242, 77, 8u << 20, true, 4096, 8192, 10, 2}, {-1, 0, 0, false, 0, 0, 0, 0}};
        c.snapshots.push_back(s);
    }
    return c;
}

TEST(Counters, RoundTripKeepsEveryField) {
    const CounterChunk c = sample_chunk();
    auto d = decode_counter_chunk(encode(c));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->ticks_per_second, 100u);
    EXPECT_EQ(d->interval_ns, 100'000'000u);
    ASSERT_EQ(d->snapshots.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const auto& a = c.snapshots[i];
        const auto& b = d->snapshots[i];
        EXPECT_EQ(b.time_ns, a.time_ns);
        EXPECT_EQ(b.machine.load1_milli, a.machine.load1_milli);
        EXPECT_EQ(b.machine.load5_milli, 800u);
        EXPECT_EQ(b.machine.load15_milli, 300u);
        EXPECT_EQ(b.machine.loadavg_running, 3u);
        EXPECT_EQ(b.machine.loadavg_threads, 412u);
        EXPECT_EQ(b.machine.procs_running, a.machine.procs_running);
        EXPECT_EQ(b.machine.procs_blocked, 1u);
        ASSERT_EQ(b.machine.cpus.size(), 2u);
        EXPECT_EQ(b.machine.cpus[0].busy_ticks, a.machine.cpus[0].busy_ticks);
        EXPECT_EQ(b.machine.cpus[1].cpu, 1u);
        EXPECT_EQ(b.machine.cpus[1].idle_ticks, a.machine.cpus[1].idle_ticks);
        EXPECT_TRUE(b.machine.cpu.present);
        EXPECT_EQ(b.machine.cpu.some.avg10_centi, 1234u);
        EXPECT_EQ(b.machine.cpu.some.total_us, 5'000'000u);
        EXPECT_EQ(b.machine.memory.full.avg10_centi, 5u);
        EXPECT_EQ(b.machine.memory.full.total_us, 100u);
        EXPECT_FALSE(b.machine.io.present);
        EXPECT_EQ(b.has_processes, a.has_processes);
        ASSERT_EQ(b.processes.size(), a.processes.size());
        if (b.processes.empty()) continue;
        EXPECT_EQ(b.processes[0].pid, 4242);
        EXPECT_EQ(b.processes[0].cpu_ticks, 77u);
        EXPECT_EQ(b.processes[0].rss_bytes, 8u << 20);
        EXPECT_TRUE(b.processes[0].has_io);
        EXPECT_EQ(b.processes[0].read_bytes, 4096u);
        EXPECT_EQ(b.processes[0].write_bytes, 8192u);
        EXPECT_EQ(b.processes[0].voluntary_switches, 10u);
        EXPECT_EQ(b.processes[0].involuntary_switches, 2u);
        EXPECT_EQ(b.processes[1].pid, -1);
        EXPECT_FALSE(b.processes[1].has_io);
    }
}

TEST(Counters, EveryCutIsAnError) {
    const auto bytes = encode(sample_chunk());
    for (size_t n = 0; n < bytes.size(); ++n) {
        auto d = decode_counter_chunk(std::span<const uint8_t>(bytes.data(), n));
        EXPECT_FALSE(d.ok()) << "cut at " << n << " of " << bytes.size();
    }
}

TEST(Counters, CorruptCountsAndLayoutsAreRefused) {
    auto bytes = encode(sample_chunk());
    auto bad = bytes;
    const uint32_t huge = 0x7fffffff;
    std::memcpy(bad.data() + 16, &huge, 4);  // the snapshot count
    auto d = decode_counter_chunk(bad);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("counter snapshots cannot fit"), std::string::npos) << d.error().message;

    bad = bytes;
    const uint32_t v9 = 9;
    std::memcpy(bad.data(), &v9, 4);
    d = decode_counter_chunk(bad);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("unknown layout 9"), std::string::npos) << d.error().message;

    bad = bytes;
    const uint32_t zero = 0;
    std::memcpy(bad.data() + 4, &zero, 4);  // ticks per second
    EXPECT_FALSE(decode_counter_chunk(bad).ok());
}

}  // namespace
}  // namespace kiln::format
