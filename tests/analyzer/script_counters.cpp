#include "tests/analyzer/script_counters.h"

#include <string>
#include <vector>

namespace kiln::testing {

Result<format::CounterChunk> parse_counters_line(std::istringstream& in, uint64_t start_ns) {
    format::CounterChunk chunk;
    chunk.interval_ns = 100'000'000;
    format::CounterSnapshot& snap = chunk.snapshots.emplace_back();
    uint64_t t = 0;
    if (!(in >> t)) return make_error("counters: expected TIME");
    snap.time_ns = start_ns + t;
    std::string item;
    while (in >> item) {
        const size_t eq = item.find('=');
        if (eq == std::string::npos) return make_error("counters: expected KEY=VALUE, not '" + item + "'");
        const std::string key = item.substr(0, eq);
        std::vector<uint64_t> v;
        std::istringstream values(item.substr(eq + 1));
        for (std::string part; std::getline(values, part, '/');) v.push_back(std::stoull(part));
        if (v.empty()) return make_error("counters: no value for " + key);
        auto& m = snap.machine;
        auto pressure = [&](format::Pressure& p) {
            p.present = true;
            p.some.total_us = v[0];
            p.full.total_us = v.size() > 1 ? v[1] : 0;
        };
        if (key == "tps") chunk.ticks_per_second = static_cast<uint32_t>(v[0]);
        else if (key == "running") m.procs_running = static_cast<uint32_t>(v[0]);
        else if (key == "blocked") m.procs_blocked = static_cast<uint32_t>(v[0]);
        else if (key == "load1") m.load1_milli = static_cast<uint32_t>(v[0]);
        else if (key.starts_with("cpu") && v.size() == 2)
            m.cpus.push_back({static_cast<uint32_t>(std::stoul(key.substr(3))), v[0], v[1]});
        else if (key == "psi.cpu") pressure(m.cpu);
        else if (key == "psi.memory") pressure(m.memory);
        else if (key == "psi.io") pressure(m.io);
        else if (key == "procs") snap.has_processes = true;
        else if (key == "proc" && (v.size() == 3 || v.size() == 5)) {
            snap.has_processes = true;
            format::ProcessCounters& p = snap.processes.emplace_back();
            p.pid = static_cast<int32_t>(v[0]);
            p.cpu_ticks = v[1];
            p.rss_bytes = v[2];
            p.has_io = v.size() == 5;
            if (p.has_io) p.read_bytes = v[3], p.write_bytes = v[4];
        } else {
            return make_error("counters: unknown or malformed '" + item + "'");
        }
    }
    return chunk;
}

}  // namespace kiln::testing
