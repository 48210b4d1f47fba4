#include "analyzer/output/anomaly_writer.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace kiln::analyzer {

namespace {
using json = nlohmann::ordered_json;

json changes_json(const std::vector<FunctionChange>& changes) {
    json a = json::array();
    for (const auto& c : changes)
        a.push_back({{"function", c.function}, {"share_before", c.share_before}, {"share_after", c.share_after}, {"p", c.p}});
    return a;
}

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
    return buf;
}

std::string fmt_range(double a, double b) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f-%.3f s", a, b);
    return buf;
}
}  // namespace

void write_anomalies_json(const AnomalyReport& r, std::ostream& out) {
    json j;
    j["window_ns"] = r.window_ns;
    j["window"] = r.window_why;
    j["sensitivity"] = sensitivity_name(r.sensitivity);
    j["judged_windows"] = r.judged;
    j["anomalous_windows"] = r.anomalous;
    j["distance_floor"] = r.distance_floor;
    auto& ranges = j["windows"] = json::array();
    for (const auto& a : r.ranges)
        ranges.push_back({{"start_s", a.start_s},
                          {"end_s", a.end_s},
                          {"score", a.score},
                          {"distance", a.distance},
                          {"kind", a.kind},
                          {"windows", a.windows},
                          {"changes", changes_json(a.changes)}});
    auto& kinds = j["kinds"] = json::array();
    for (const auto& k : r.kinds)
        kinds.push_back({{"id", k.id}, {"label", k.label}, {"windows", k.windows}, {"ranges", k.ranges},
                         {"changes", changes_json(k.changes)}});
    auto& counters = j["counters"] = json::array();
    for (const auto& c : r.counters)
        counters.push_back({{"series", c.series}, {"unit", c.unit}, {"start_s", c.start_s}, {"end_s", c.end_s},
                            {"z", c.z}, {"expected", c.expected}, {"peak", c.peak}});
    auto& scores = j["scores"] = json::array();
    for (const auto& w : r.windows)
        scores.push_back({{"start_s", w.start_s}, {"end_s", w.end_s}, {"judged", w.judged}, {"anomalous", w.anomalous},
                          {"score", w.score}, {"distance", w.distance}});
    j["notes"] = r.notes;
    out << j.dump(1, ' ', false, json::error_handler_t::replace) << '\n';
}

void write_anomalies_text(const AnomalyReport& r, std::ostream& out) {
    char line[512];
    std::snprintf(line, sizeof line, "%zu anomalous ranges (%zu of %zu judged windows, sensitivity %s); %s\n",
                  r.ranges.size(), r.anomalous, r.judged, sensitivity_name(r.sensitivity), r.window_why.c_str());
    out << line;
    for (const auto& k : r.kinds) {
        std::snprintf(line, sizeof line, "kind %d: %s (%zu windows in %zu ranges)\n", k.id, k.label.c_str(), k.windows,
                      k.ranges);
        out << line;
    }
    for (const auto& a : r.ranges) {
        std::snprintf(line, sizeof line, "\n%s  kind %d  score %.1f  distance %.2f  (--time %.3f,%.3f)\n",
                      fmt_range(a.start_s, a.end_s).c_str(), a.kind, a.score, a.distance, a.start_s, a.end_s);
        out << line;
        for (const auto& c : a.changes) {
            std::snprintf(line, sizeof line, "  %-40.40s %7s -> %7s  (p %.2g)\n", c.function.c_str(),
                          percent(c.share_before).c_str(), percent(c.share_after).c_str(), c.p);
            out << line;
        }
    }
    for (const auto& c : r.counters) {
        std::snprintf(line, sizeof line, "\n%s  %s: %.4g %s where %.4g was usual (%+.1f sd)\n",
                      fmt_range(c.start_s, c.end_s).c_str(), c.series.c_str(), c.peak, c.unit.c_str(), c.expected, c.z);
        out << line;
    }
    for (const auto& n : r.notes) out << "note: " << n << '\n';
}

void write_anomalies_markdown(const AnomalyReport& r, const std::string& title, std::ostream& out) {
    out << "# Anomalous time ranges: " << title << "\n\n";
    out << r.ranges.size() << " ranges, " << r.anomalous << " of " << r.judged << " judged windows anomalous (sensitivity "
        << sensitivity_name(r.sensitivity) << "); " << r.window_why << ".\n\n";
    if (!r.kinds.empty()) {
        out << "| kind | label | windows | ranges |\n|---|---|---|---|\n";
        for (const auto& k : r.kinds) out << "| " << k.id << " | " << k.label << " | " << k.windows << " | " << k.ranges << " |\n";
        out << '\n';
    }
    for (const auto& a : r.ranges) {
        char head[160];
        std::snprintf(head, sizeof head, "## %s (kind %d, score %.1f)\n\n", fmt_range(a.start_s, a.end_s).c_str(), a.kind,
                      a.score);
        out << head << "| function | before | during | p |\n|---|---|---|---|\n";
        for (const auto& c : a.changes) {
            char row[400];
            std::snprintf(row, sizeof row, "| `%s` | %s | %s | %.2g |\n", c.function.c_str(), percent(c.share_before).c_str(),
                          percent(c.share_after).c_str(), c.p);
            out << row;
        }
        out << '\n';
    }
    if (!r.counters.empty()) {
        out << "## Counters out of their usual level\n\n| range | series | peak | usual | sd |\n|---|---|---|---|---|\n";
        for (const auto& c : r.counters) {
            char row[300];
            std::snprintf(row, sizeof row, "| %s | `%s` | %.4g %s | %.4g | %+.1f |\n", fmt_range(c.start_s, c.end_s).c_str(),
                          c.series.c_str(), c.peak, c.unit.c_str(), c.expected, c.z);
            out << row;
        }
        out << '\n';
    }
    for (const auto& n : r.notes) out << "- " << n << '\n';
}

}  // namespace kiln::analyzer
