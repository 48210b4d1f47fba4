#include "analyzer/symbolize/jit_symbols.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace kiln::analyzer {

namespace {
bool parse_hex(std::string_view& s, uint64_t& v) {
    if (s.substr(0, 2) == "0x" || s.substr(0, 2) == "0X") s.remove_prefix(2);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || p == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(p - s.data()));
    if (s.empty() || s.front() != ' ') return false;
    s.remove_prefix(1);
    return true;
}
}  // namespace

JitSymbolTable::JitSymbolTable(const std::vector<format::PerfMapFile>& maps) {
    for (const auto& map : maps) {
        auto& entries = by_pid_[map.pid];
        std::string_view text = map.contents;
        while (!text.empty()) {
            const size_t nl = text.find('\n');
            std::string_view line = text.substr(0, nl);
            text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
            if (line.empty()) continue;
            uint64_t start = 0, size = 0;
            if (!parse_hex(line, start) || !parse_hex(line, size) || line.empty()) {
                ++malformed_;
                continue;
            }
            entries.push_back({start, start + size, std::string(line)});
        }
        // Later lines win for the same start (code was replaced), as in perf.
        std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.start < b.start; });
    }
}

const std::string* JitSymbolTable::resolve(int32_t pid, uint64_t ip) const {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) return nullptr;
    const auto& v = it->second;
    auto e = std::upper_bound(v.begin(), v.end(), ip, [](uint64_t x, const Entry& en) { return x < en.start; });
    while (e != v.begin()) {
        --e;
        if (ip < e->end) return &e->name;
        if (ip - e->start > (1ull << 32)) break;  // entries far below cannot cover ip
    }
    return nullptr;
}

}  // namespace kiln::analyzer
