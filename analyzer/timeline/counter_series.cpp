#include "analyzer/timeline/counter_series.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kiln::analyzer {

namespace {

// A cumulative quantity spread over the windows: the amount each window received and how
// many of its nanoseconds a pair of snapshots covered.
class Spread {
public:
    explicit Spread(const TimelineWindows& w) : w_(w), amount_(w.count, 0.0), covered_ns_(w.count, 0.0) {}

    // delta happened evenly between times a and b.
    void add(uint64_t a, uint64_t b, double delta) {
        if (b <= a || w_.count == 0 || b <= w_.start_ns) return;
        size_t i = a <= w_.start_ns ? 0 : static_cast<size_t>((a - w_.start_ns) / w_.window_ns);
        for (; i < w_.count && w_.begin(i) < b; ++i) {
            const uint64_t from = std::max(a, w_.begin(i)), to = std::min(b, w_.end(i));
            if (to <= from) continue;
            const double overlap = static_cast<double>(to - from);
            amount_[i] += delta * overlap / static_cast<double>(b - a);
            covered_ns_[i] += overlap;
        }
    }
    double amount(size_t i) const { return amount_[i]; }
    double covered_s(size_t i) const { return covered_ns_[i] / 1e9; }
    bool covered(size_t i) const { return covered_ns_[i] > 0; }

private:
    const TimelineWindows& w_;
    std::vector<double> amount_, covered_ns_;
};

// Index of the snapshot a gauge shows in each window (see the header), -1 for none.
std::vector<long> gauge_snapshots(const std::vector<uint64_t>& times, const TimelineWindows& w) {
    std::vector<long> out(w.count, -1);
    if (times.empty()) return out;
    size_t next = 0;
    for (size_t i = 0; i < w.count; ++i) {
        while (next < times.size() && times[next] < w.end(i)) ++next;
        if (next > 0 && w.begin(i) <= times.back()) out[i] = static_cast<long>(next - 1);
    }
    return out;
}

double difference(uint64_t before, uint64_t after) {
    return after >= before ? static_cast<double>(after - before) : -1.0;
}

TimelineSeries series(std::string name, std::string unit, size_t n) {
    return TimelineSeries{std::move(name), std::move(unit), std::vector<double>(n, kNoValue)};
}

struct CpuSpread {
    Spread busy, total;
};

void add_machine_series(const std::vector<format::CounterSnapshot>& snaps, Timeline& out) {
    const TimelineWindows& w = out.windows;
    const size_t n = w.count;
    std::vector<uint64_t> times;
    for (const auto& s : snaps) times.push_back(s.time_ns);
    const auto gauge = gauge_snapshots(times, w);
    auto running = series("load.running", "tasks", n), blocked = series("load.blocked", "tasks", n),
         load1 = series("load.1min", "load", n);
    for (size_t i = 0; i < n; ++i) {
        if (gauge[i] < 0) continue;
        const auto& m = snaps[static_cast<size_t>(gauge[i])].machine;
        running.values[i] = m.procs_running;
        blocked.values[i] = m.procs_blocked;
        load1.values[i] = m.load1_milli / 1000.0;
    }

    // CPU busy: busy ticks over busy + idle ticks, both spread, per CPU and for all of them.
    CpuSpread all{Spread(w), Spread(w)};
    std::map<uint32_t, CpuSpread> per_cpu;
    // PSI: stall microseconds, for each of the five lines that exist.
    struct Psi {
        const char* name;
        const format::Pressure format::MachineCounters::*pressure;
        bool full;
    };
    static constexpr Psi kPsi[] = {{"psi.cpu.some", &format::MachineCounters::cpu, false},
                                   {"psi.memory.some", &format::MachineCounters::memory, false},
                                   {"psi.memory.full", &format::MachineCounters::memory, true},
                                   {"psi.io.some", &format::MachineCounters::io, false},
                                   {"psi.io.full", &format::MachineCounters::io, true}};
    std::vector<Spread> psi(std::size(kPsi), Spread(w));
    std::vector<bool> psi_seen(std::size(kPsi), false);
    for (size_t k = 1; k < snaps.size(); ++k) {
        const auto &a = snaps[k - 1], &b = snaps[k];
        for (const auto& cb : b.machine.cpus) {
            auto ca = std::find_if(a.machine.cpus.begin(), a.machine.cpus.end(),
                                   [&](const format::CpuTimes& c) { return c.cpu == cb.cpu; });
            if (ca == a.machine.cpus.end()) continue;
            const double busy = difference(ca->busy_ticks, cb.busy_ticks);
            const double idle = difference(ca->idle_ticks, cb.idle_ticks);
            if (busy < 0 || idle < 0) continue;
            auto& c = per_cpu.try_emplace(cb.cpu, CpuSpread{Spread(w), Spread(w)}).first->second;
            for (CpuSpread* s : {&c, &all}) {
                s->busy.add(a.time_ns, b.time_ns, busy);
                s->total.add(a.time_ns, b.time_ns, busy + idle);
            }
        }
        for (size_t p = 0; p < std::size(kPsi); ++p) {
            const format::Pressure &pa = a.machine.*kPsi[p].pressure, &pb = b.machine.*kPsi[p].pressure;
            if (!pa.present || !pb.present) continue;
            const double us = kPsi[p].full ? difference(pa.full.total_us, pb.full.total_us)
                                           : difference(pa.some.total_us, pb.some.total_us);
            if (us < 0) continue;
            psi[p].add(a.time_ns, b.time_ns, us);
            psi_seen[p] = true;
        }
    }
    auto busy_series = [n](std::string name, const CpuSpread& s) {
        auto busy = series(std::move(name), "%", n);
        for (size_t i = 0; i < n; ++i)
            if (s.total.amount(i) > 0) busy.values[i] = 100.0 * s.busy.amount(i) / s.total.amount(i);
        return busy;
    };
    out.series.push_back(std::move(running));
    out.series.push_back(std::move(blocked));
    out.series.push_back(std::move(load1));
    if (!per_cpu.empty()) out.series.push_back(busy_series("cpu.busy", all));
    for (const auto& [cpu, s] : per_cpu) out.series.push_back(busy_series("cpu." + std::to_string(cpu) + ".busy", s));
    for (size_t p = 0; p < std::size(kPsi); ++p) {
        if (!psi_seen[p]) continue;
        auto s = series(kPsi[p].name, "%", n);
        for (size_t i = 0; i < n; ++i)
            if (psi[p].covered(i)) s.values[i] = 100.0 * psi[p].amount(i) * 1000.0 / (psi[p].covered_s(i) * 1e9);
        out.series.push_back(std::move(s));
    }
}

const format::ProcessCounters* find_process(const format::CounterSnapshot& s, int32_t pid) {
    for (const auto& p : s.processes)
        if (p.pid == pid) return &p;
    return nullptr;
}

void add_process_series(const std::vector<format::CounterSnapshot>& all, uint32_t ticks_per_second, Timeline& out,
                        size_t processes, bool all_series) {
    const TimelineWindows& w = out.windows;
    const size_t n = w.count;
    // Processes are read at every --proc-interval, not at every snapshot.
    std::vector<const format::CounterSnapshot*> snaps;
    std::vector<uint64_t> times;
    std::map<int32_t, bool> pids;  // pid -> has I/O counters
    for (const auto& s : all) {
        if (!s.has_processes) continue;
        snaps.push_back(&s);
        times.push_back(s.time_ns);
        for (const auto& p : s.processes) pids[p.pid] = pids[p.pid] || p.has_io;
    }
    if (pids.size() > processes) {  // keep those that held the most memory
        std::map<int32_t, uint64_t> peak;
        for (const auto* s : snaps)
            for (const auto& p : s->processes) peak[p.pid] = std::max(peak[p.pid], p.rss_bytes);
        std::vector<std::pair<uint64_t, int32_t>> by_peak;
        for (const auto& [pid, bytes] : peak) by_peak.emplace_back(bytes, pid);
        std::sort(by_peak.rbegin(), by_peak.rend());
        by_peak.resize(processes);
        std::map<int32_t, bool> kept;
        for (const auto& [bytes, pid] : by_peak) kept[pid] = pids[pid];
        pids = std::move(kept);
    }
    const auto gauge = gauge_snapshots(times, w);
    for (const auto& [pid, has_io] : pids) {
        Spread ticks(w), read(w), written(w);
        for (size_t k = 1; k < snaps.size(); ++k) {
            const auto* a = find_process(*snaps[k - 1], pid);
            const auto* b = find_process(*snaps[k], pid);
            if (!a || !b) continue;
            const uint64_t ta = snaps[k - 1]->time_ns, tb = snaps[k]->time_ns;
            if (double d = difference(a->cpu_ticks, b->cpu_ticks); d >= 0) ticks.add(ta, tb, d);
            if (!a->has_io || !b->has_io) continue;
            if (double d = difference(a->read_bytes, b->read_bytes); d >= 0) read.add(ta, tb, d);
            if (double d = difference(a->write_bytes, b->write_bytes); d >= 0) written.add(ta, tb, d);
        }
        const std::string prefix = "process." + std::to_string(pid) + ".";
        auto cpu = series(prefix + "cpu", "%", n), rss = series(prefix + "rss", "bytes", n);
        auto rd = series(prefix + "read_bytes", "bytes/s", n), wr = series(prefix + "write_bytes", "bytes/s", n);
        for (size_t i = 0; i < n; ++i) {
            if (ticks.covered(i))
                cpu.values[i] = 100.0 * ticks.amount(i) / ticks_per_second / ticks.covered_s(i);
            if (read.covered(i)) rd.values[i] = read.amount(i) / read.covered_s(i);
            if (written.covered(i)) wr.values[i] = written.amount(i) / written.covered_s(i);
            if (gauge[i] >= 0)
                if (const auto* p = find_process(*snaps[static_cast<size_t>(gauge[i])], pid))
                    rss.values[i] = static_cast<double>(p->rss_bytes);
        }
        if (all_series) out.series.push_back(std::move(cpu));
        out.series.push_back(std::move(rss));
        if (all_series && has_io) {
            out.series.push_back(std::move(rd));
            out.series.push_back(std::move(wr));
        }
    }
}

}  // namespace

void add_counter_series(const std::vector<format::CounterSnapshot>& snapshots, uint32_t ticks_per_second,
                        Timeline& out, size_t processes, bool all_series) {
    if (snapshots.empty() || out.windows.count == 0) return;
    add_machine_series(snapshots, out);
    if (processes > 0)
        add_process_series(snapshots, ticks_per_second == 0 ? 100 : ticks_per_second, out, processes, all_series);
}

}  // namespace kiln::analyzer
