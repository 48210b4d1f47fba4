// The kernel addresses a recording's samples hold (callchain entries, or the IP of a sample
// without one), gathered by the recorder as it drains the rings so that only the kernel symbols
// holding them are written (kallsyms_subset.h). Most samples of a busy machine are in user
// space, whose callchains start with PERF_CONTEXT_USER: those cost one comparison.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

#include "formats/perf_sample.h"

namespace kiln::format {

class KernelAddressSet {
public:
    void add(uint64_t ip) {
        // A direct-mapped filter of recent addresses in front of the set: a kernel path is hit
        // again and again, and the filter answers those without hashing into the set.
        uint64_t& slot = recent_[(ip ^ (ip >> 12)) % recent_.size()];
        if (slot == ip) return;
        slot = ip;
        all_.insert(ip);
    }
    // Every kernel address of a sample of `layout` (malformed samples add what they hold before
    // the damage, or nothing).
    void add_sample(const SampleLayout& layout, std::span<const uint8_t> record);
    // The addresses, sorted.
    std::vector<uint64_t> sorted() const;
    size_t size() const { return all_.size(); }

private:
    std::array<uint64_t, 1024> recent_{};
    std::unordered_set<uint64_t> all_;
};

}  // namespace kiln::format
