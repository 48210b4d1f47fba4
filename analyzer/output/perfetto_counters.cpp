#include "analyzer/output/perfetto_counters.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <string>

namespace kiln::analyzer {

namespace {

// after - before of a cumulative counter, or nothing when it went backwards (a reset).
bool difference(uint64_t before, uint64_t after, double& out) {
    if (after < before) return false;
    out = static_cast<double>(after - before);
    return true;
}

class Tracks {
public:
    PerfettoCounter& get(const std::string& name, PerfettoCounterUnit unit, int32_t pid = 0) {
        auto it = index_.find(name);
        if (it == index_.end()) {
            it = index_.emplace(name, tracks_.size()).first;
            tracks_.push_back({name, unit, pid, {}});
        }
        return tracks_[it->second];
    }
    std::vector<PerfettoCounter> take() { return std::move(tracks_); }

private:
    std::map<std::string, size_t> index_;
    std::vector<PerfettoCounter> tracks_;
};

void machine(const std::vector<format::CounterSnapshot>& snaps, Tracks& t) {
    for (const auto& s : snaps) {
        t.get("load.running", PerfettoCounterUnit::kCount).points.emplace_back(s.time_ns, s.machine.procs_running);
        t.get("load.blocked", PerfettoCounterUnit::kCount).points.emplace_back(s.time_ns, s.machine.procs_blocked);
        t.get("load.1min", PerfettoCounterUnit::kNone).points.emplace_back(s.time_ns, s.machine.load1_milli / 1000.0);
    }
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
    for (size_t k = 1; k < snaps.size(); ++k) {
        const auto &a = snaps[k - 1], &b = snaps[k];
        if (b.time_ns <= a.time_ns) continue;
        const double span_ns = static_cast<double>(b.time_ns - a.time_ns);
        double all_busy = 0, all_total = 0;
        for (const auto& cb : b.machine.cpus) {
            auto ca = std::find_if(a.machine.cpus.begin(), a.machine.cpus.end(),
                                   [&](const format::CpuTimes& c) { return c.cpu == cb.cpu; });
            double busy = 0, idle = 0;
            if (ca == a.machine.cpus.end() || !difference(ca->busy_ticks, cb.busy_ticks, busy) ||
                !difference(ca->idle_ticks, cb.idle_ticks, idle) || busy + idle <= 0)
                continue;
            all_busy += busy;
            all_total += busy + idle;
            t.get("cpu." + std::to_string(cb.cpu) + ".busy", PerfettoCounterUnit::kNone)
                .points.emplace_back(a.time_ns, 100.0 * busy / (busy + idle));
        }
        if (all_total > 0)
            t.get("cpu.busy", PerfettoCounterUnit::kNone).points.emplace_back(a.time_ns, 100.0 * all_busy / all_total);
        for (const auto& p : kPsi) {
            const format::Pressure &pa = a.machine.*p.pressure, &pb = b.machine.*p.pressure;
            double us = 0;
            if (!pa.present || !pb.present) continue;
            if (!(p.full ? difference(pa.full.total_us, pb.full.total_us, us)
                         : difference(pa.some.total_us, pb.some.total_us, us)))
                continue;
            t.get(p.name, PerfettoCounterUnit::kNone).points.emplace_back(a.time_ns, 100.0 * us * 1000.0 / span_ns);
        }
    }
}

const format::ProcessCounters* find_process(const format::CounterSnapshot& s, int32_t pid) {
    for (const auto& p : s.processes)
        if (p.pid == pid) return &p;
    return nullptr;
}

void processes(const std::vector<format::CounterSnapshot>& all, uint32_t ticks_per_second, Tracks& t) {
    std::vector<const format::CounterSnapshot*> snaps;  // processes are read every --proc-interval
    for (const auto& s : all)
        if (s.has_processes) snaps.push_back(&s);
    for (size_t k = 0; k < snaps.size(); ++k) {
        for (const auto& p : snaps[k]->processes) {
            const std::string prefix = "process." + std::to_string(p.pid) + ".";
            t.get(prefix + "rss", PerfettoCounterUnit::kBytes, p.pid)
                .points.emplace_back(snaps[k]->time_ns, static_cast<double>(p.rss_bytes));
            if (k + 1 >= snaps.size()) continue;
            const auto* b = find_process(*snaps[k + 1], p.pid);
            const uint64_t ta = snaps[k]->time_ns, tb = snaps[k + 1]->time_ns;
            if (!b || tb <= ta) continue;
            const double seconds = static_cast<double>(tb - ta) / 1e9;
            double d = 0;
            if (difference(p.cpu_ticks, b->cpu_ticks, d))
                t.get(prefix + "cpu", PerfettoCounterUnit::kNone, p.pid)
                    .points.emplace_back(ta, 100.0 * d / ticks_per_second / seconds);
            if (!p.has_io || !b->has_io) continue;
            if (difference(p.read_bytes, b->read_bytes, d))
                t.get(prefix + "read_bytes", PerfettoCounterUnit::kBytes, p.pid).points.emplace_back(ta, d / seconds);
            if (difference(p.write_bytes, b->write_bytes, d))
                t.get(prefix + "write_bytes", PerfettoCounterUnit::kBytes, p.pid).points.emplace_back(ta, d / seconds);
        }
    }
}

}  // namespace

std::vector<PerfettoCounter> perfetto_counters(const std::vector<format::CounterSnapshot>& snapshots,
                                               uint32_t ticks_per_second) {
    Tracks t;
    if (snapshots.empty()) return {};
    machine(snapshots, t);
    processes(snapshots, ticks_per_second == 0 ? 100 : ticks_per_second, t);
    return t.take();
}

}  // namespace kiln::analyzer
