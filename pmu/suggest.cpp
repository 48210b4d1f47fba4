#include "pmu/suggest.h"

#include <algorithm>
#include <cctype>

namespace kiln::pmu {

// Optimal string alignment: insertions, deletions, substitutions and swaps of two adjacent
// letters each cost 1 ("--tiem" is one step from "--time"), case ignored.
size_t edit_distance(std::string_view a, std::string_view b) {
    auto same = [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    };
    std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]))
                cur[j] = std::min(cur[j], before[j - 2] + 1);
        }
        std::swap(before, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       size_t max_results) {
    const size_t limit = std::max<size_t>(2, name.size() / 3);
    std::vector<std::pair<size_t, std::string>> scored;
    for (const auto& c : candidates) {
        size_t d = edit_distance(name, c);
        if (d <= limit) scored.emplace_back(d, c);
    }
    // Stable: among equally close names the earlier candidate wins (callers list the
    // conventional spelling first); names differing only in case count once.
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    auto same = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
               });
    };
    std::vector<std::string> out;
    for (const auto& [d, c] : scored) {
        if (std::any_of(out.begin(), out.end(), [&](const std::string& o) { return same(o, c); })) continue;
        out.push_back(c);
        if (out.size() == max_results) break;
    }
    return out;
}

}  // namespace kiln::pmu
