#include "analyzer/output/timeline_csv.h"

#include <cmath>

#include "analyzer/output/timeline_format.h"

namespace kiln::analyzer {

void write_timeline_csv(const Timeline& t, std::ostream& out) {
    out << "t_s";
    for (const auto& s : t.series) out << "," << s.name;  // series names hold no comma or quote
    out << "\n";
    for (size_t i = 0; i < t.windows.count; ++i) {
        out << timeline_format::number(t.windows.t_s(i));
        for (const auto& s : t.series) {
            out << ",";
            if (i < s.values.size() && !std::isnan(s.values[i])) out << timeline_format::number(s.values[i]);
        }
        out << "\n";
    }
}

}  // namespace kiln::analyzer
