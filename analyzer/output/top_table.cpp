#include "analyzer/output/top_table.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include "analyzer/profile/flame_tree.h"
#include "analyzer/profile/value_format.h"

namespace kiln::analyzer {

std::vector<TopEntry> top_functions(const Profile& p, size_t value_index, int64_t& grand_total) {
    std::unordered_map<std::string, TopEntry> by_name;
    std::unordered_set<std::string> seen;
    grand_total = 0;
    for (const Sample& s : p.samples) {
        if (value_index >= s.values.size() || s.values[value_index] == 0) continue;
        const int64_t v = s.values[value_index];
        grand_total += v;
        seen.clear();
        bool leaf = true;
        for (uint32_t li : s.locations) {
            if (li >= p.locations.size()) continue;
            const Location& loc = p.locations[li];
            for (size_t i = 0; i < loc.lines.size(); ++i) {
                std::string name = frame_display_name(p, loc, i);
                TopEntry& e = by_name[name];
                if (leaf) e.self += v;
                leaf = false;
                // A recursive function counts once per stack in its total.
                if (seen.insert(name).second) e.total += v;
            }
        }
    }
    std::vector<TopEntry> out;
    out.reserve(by_name.size());
    for (auto& [name, e] : by_name) {
        e.name = name;
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const TopEntry& a, const TopEntry& b) {
        if (a.self != b.self) return a.self > b.self;
        if (a.total != b.total) return a.total > b.total;
        return a.name < b.name;
    });
    return out;
}

void write_top(const Profile& p, size_t value_index, size_t n, std::ostream& out) {
    int64_t total = 0;
    auto entries = top_functions(p, value_index, total);
    const SampleType& type = p.sample_types.at(value_index);
    out << "Showing top " << std::min(n, entries.size()) << " of " << entries.size() << " functions, total "
        << format_value(static_cast<double>(total), type.unit, "") << " (" << type.type << ", " << type.unit << ")\n";
    char line[128];
    std::snprintf(line, sizeof line, "%12s %7s %7s %12s %7s  %s\n", "self", "self%", "sum%", "total", "total%",
                  "function");
    out << line;
    double sum = 0;
    const double denom = total > 0 ? static_cast<double>(total) : 1.0;
    for (size_t i = 0; i < entries.size() && i < n; ++i) {
        const TopEntry& e = entries[i];
        sum += static_cast<double>(e.self);
        std::snprintf(line, sizeof line, "%12s %6.2f%% %6.2f%% %12s %6.2f%%  ", format_value(static_cast<double>(e.self), type.unit, "").c_str(),
                      100.0 * static_cast<double>(e.self) / denom, 100.0 * sum / denom,
                      format_value(static_cast<double>(e.total), type.unit, "").c_str(), 100.0 * static_cast<double>(e.total) / denom);
        out << line << e.name << '\n';
    }
}

}  // namespace kiln::analyzer
