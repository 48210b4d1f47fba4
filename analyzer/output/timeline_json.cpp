#include "analyzer/output/timeline_json.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace kiln::analyzer {

namespace {

// A JSON string; comm names are bytes from the kernel, so invalid UTF-8 is replaced rather
// than thrown on.
std::string json_string(const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The shortest text that reads back as v.
void put_number(std::ostream& out, double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.write(buf, r.ptr - buf);
}

}  // namespace

// Written as it goes, one series after another, compact: a document of the whole would be
// several times the file (tens of millions of points for minutes of a busy machine).
void write_timeline_json(const Timeline& t, std::ostream& out) {
    const TimelineWindows& w = t.windows;
    out << "{\"window_ns\":" << w.window_ns << ",\"start_s\":";
    put_number(out, w.count ? w.t_s(0) : 0.0);
    out << ",\"windows\":" << w.count << ",\"series\":[";
    for (size_t k = 0; k < t.series.size(); ++k) {
        const TimelineSeries& s = t.series[k];
        out << (k ? ",\n" : "\n") << "{\"name\":" << json_string(s.name) << ",\"unit\":" << json_string(s.unit)
            << ",\"points\":[";
        bool first = true;
        for (size_t i = 0; i < s.values.size() && i < w.count; ++i) {
            if (std::isnan(s.values[i])) continue;
            out << (first ? "[" : ",[");
            put_number(out, w.t_s(i));
            out << ',';
            put_number(out, s.values[i]);
            out << ']';
            first = false;
        }
        out << "]}";
    }
    out << "],\n\"labels\":{";
    bool first = true;
    for (const auto& [pid, comm] : t.labels) {
        out << (first ? "" : ",") << '"' << pid << "\":" << json_string(comm);
        first = false;
    }
    out << "},\n\"notes\":[";
    for (size_t k = 0; k < t.notes.size(); ++k) out << (k ? "," : "") << json_string(t.notes[k]);
    out << "]}\n";
}

}  // namespace kiln::analyzer
