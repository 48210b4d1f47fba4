// JIT code names from the perf-PID.map files recorded with the samples
// (lines "START SIZE NAME", hex addresses, as perf and JIT runtimes write them).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/sideband.h"

namespace kiln::analyzer {

class JitSymbolTable {
public:
    explicit JitSymbolTable(const std::vector<format::PerfMapFile>& maps);
    // nullptr when no recorded map of this process covers ip.
    const std::string* resolve(int32_t pid, uint64_t ip) const;
    size_t malformed_lines() const { return malformed_; }

private:
    struct Entry {
        uint64_t start, end;
        std::string name;
    };
    std::unordered_map<int32_t, std::vector<Entry>> by_pid_;
    size_t malformed_ = 0;
};

}  // namespace kiln::analyzer
