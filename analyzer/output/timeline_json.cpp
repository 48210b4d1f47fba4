#include "analyzer/output/timeline_json.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace kiln::analyzer {

// nlohmann's ordered_json keeps the keys in the documented order; comm names are bytes from
// the kernel, so invalid UTF-8 is replaced rather than thrown on.
void write_timeline_json(const Timeline& t, std::ostream& out) {
    const TimelineWindows& w = t.windows;
    nlohmann::ordered_json j;
    j["window_ns"] = w.window_ns;
    j["start_s"] = w.count ? w.t_s(0) : 0.0;
    j["windows"] = w.count;
    auto& series = j["series"] = nlohmann::ordered_json::array();
    for (const TimelineSeries& s : t.series) {
        nlohmann::ordered_json points = nlohmann::ordered_json::array();
        for (size_t i = 0; i < s.values.size() && i < w.count; ++i)
            if (!std::isnan(s.values[i])) points.push_back({w.t_s(i), s.values[i]});
        series.push_back({{"name", s.name}, {"unit", s.unit}, {"points", std::move(points)}});
    }
    auto& labels = j["labels"] = nlohmann::ordered_json::object();
    for (const auto& [pid, comm] : t.labels) labels[std::to_string(pid)] = comm;
    j["notes"] = t.notes;
    out << j.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
}

}  // namespace kiln::analyzer
