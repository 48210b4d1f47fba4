// `--top N`: functions by self value with their total (inclusive) value, as pprof -top.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "analyzer/profile/profile.h"

namespace kiln::analyzer {

struct TopEntry {
    std::string name;  // display name (kernel _[k], inlined _[i], JIT _[j])
    int64_t self = 0;
    int64_t total = 0;
};

// All functions, sorted by self value (then total, then name).
std::vector<TopEntry> top_functions(const Profile& p, size_t value_index, int64_t& grand_total);
void write_top(const Profile& p, size_t value_index, size_t n, std::ostream& out);

}  // namespace kiln::analyzer
