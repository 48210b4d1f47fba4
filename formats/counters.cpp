#include "formats/counters.h"

#include <string>

#include "formats/byte_cursor.h"
#include "formats/byte_io.h"

namespace kiln::format {

namespace {
constexpr uint32_t kCountersPayloadVersion = 1;
// Smallest encodings, for the counts checked before allocating.
constexpr size_t kMinCpuBytes = 4 + 8 + 8;
constexpr size_t kMinProcessBytes = 4 + 8 + 8 + 1 + 8 + 8 + 8 + 8;
constexpr size_t kMinSnapshotBytes = 8 + 6 * 4 + 4 + 3 * 1 + 1 + 4;

void put(ByteWriter& w, const Pressure& p) {
    w.u8(p.present ? 1 : 0);
    if (!p.present) return;
    for (const PressureLine* l : {&p.some, &p.full}) {
        w.u32(l->avg10_centi);
        w.u64(l->total_us);
    }
}

void get(ByteCursor& r, Pressure& p) {
    p.present = r.u8() != 0;
    if (!p.present) return;
    for (PressureLine* l : {&p.some, &p.full}) {
        l->avg10_centi = r.u32();
        l->total_us = r.u64();
    }
}
}  // namespace

std::vector<uint8_t> encode(const CounterChunk& c) {
    ByteWriter w;
    w.u32(kCountersPayloadVersion);
    w.u32(c.ticks_per_second);
    w.u64(c.interval_ns);
    w.u32(static_cast<uint32_t>(c.snapshots.size()));
    for (const auto& s : c.snapshots) {
        w.u64(s.time_ns);
        const MachineCounters& m = s.machine;
        for (uint32_t v : {m.load1_milli, m.load5_milli, m.load15_milli, m.loadavg_running, m.loadavg_threads,
                           m.procs_running, m.procs_blocked})
            w.u32(v);
        w.u32(static_cast<uint32_t>(m.cpus.size()));
        for (const auto& cpu : m.cpus) {
            w.u32(cpu.cpu);
            w.u64(cpu.busy_ticks);
            w.u64(cpu.idle_ticks);
        }
        put(w, m.cpu);
        put(w, m.memory);
        put(w, m.io);
        w.u8(s.has_processes ? 1 : 0);
        w.u32(static_cast<uint32_t>(s.processes.size()));
        for (const auto& p : s.processes) {
            w.u32(static_cast<uint32_t>(p.pid));
            w.u64(p.cpu_ticks);
            w.u64(p.rss_bytes);
            w.u8(p.has_io ? 1 : 0);
            for (uint64_t v : {p.read_bytes, p.write_bytes, p.voluntary_switches, p.involuntary_switches}) w.u64(v);
        }
    }
    return w.take();
}

Result<CounterChunk> decode_counter_chunk(std::span<const uint8_t> payload) {
    ByteCursor r(payload, "counters");
    const uint32_t version = r.u32();
    if (r.failed()) return r.error();
    if (version != kCountersPayloadVersion) return make_error("counters: unknown layout " + std::to_string(version));
    CounterChunk c;
    c.ticks_per_second = r.u32();
    c.interval_ns = r.u64();
    const uint32_t n = r.count(kMinSnapshotBytes, "counter snapshots");
    c.snapshots.reserve(n);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        CounterSnapshot& s = c.snapshots.emplace_back();
        s.time_ns = r.u64();
        MachineCounters& m = s.machine;
        for (uint32_t* v : {&m.load1_milli, &m.load5_milli, &m.load15_milli, &m.loadavg_running, &m.loadavg_threads,
                            &m.procs_running, &m.procs_blocked})
            *v = r.u32();
        const uint32_t cpus = r.count(kMinCpuBytes, "CPUs");
        m.cpus.resize(cpus);
        for (auto& cpu : m.cpus) {
            cpu.cpu = r.u32();
            cpu.busy_ticks = r.u64();
            cpu.idle_ticks = r.u64();
        }
        get(r, m.cpu);
        get(r, m.memory);
        get(r, m.io);
        s.has_processes = r.u8() != 0;
        const uint32_t procs = r.count(kMinProcessBytes, "processes");
        s.processes.resize(procs);
        for (auto& p : s.processes) {
            p.pid = r.i32();
            p.cpu_ticks = r.u64();
            p.rss_bytes = r.u64();
            p.has_io = r.u8() != 0;
            for (uint64_t* v : {&p.read_bytes, &p.write_bytes, &p.voluntary_switches, &p.involuntary_switches})
                *v = r.u64();
        }
    }
    if (r.failed()) return r.error();
    if (c.ticks_per_second == 0) return make_error("counters: zero clock ticks per second");
    return c;
}

}  // namespace kiln::format
