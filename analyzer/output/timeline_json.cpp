#include "analyzer/output/timeline_json.h"

#include <cmath>
#include <cstdio>

#include "analyzer/output/timeline_format.h"

namespace kiln::analyzer {

namespace {
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}
}  // namespace

void write_timeline_json(const Timeline& t, std::ostream& out) {
    using timeline_format::number;
    const TimelineWindows& w = t.windows;
    out << "{\"window_ns\": " << w.window_ns << ", \"start_s\": " << number(w.count ? w.t_s(0) : 0.0)
        << ", \"windows\": " << w.count << ",\n \"series\": [";
    for (size_t k = 0; k < t.series.size(); ++k) {
        const TimelineSeries& s = t.series[k];
        out << (k ? ",\n  " : "\n  ") << "{\"name\": " << quoted(s.name) << ", \"unit\": " << quoted(s.unit)
            << ", \"points\": [";
        bool first = true;
        for (size_t i = 0; i < s.values.size() && i < w.count; ++i) {
            if (std::isnan(s.values[i])) continue;
            out << (first ? "" : ", ") << "[" << number(w.t_s(i)) << ", " << number(s.values[i]) << "]";
            first = false;
        }
        out << "]}";
    }
    out << "\n ],\n \"labels\": {";
    bool first = true;
    for (const auto& [pid, comm] : t.labels) {
        out << (first ? "" : ", ") << quoted(std::to_string(pid)) << ": " << quoted(comm);
        first = false;
    }
    out << "},\n \"notes\": [";
    for (size_t i = 0; i < t.notes.size(); ++i) out << (i ? ", " : "") << quoted(t.notes[i]);
    out << "]}\n";
}

}  // namespace kiln::analyzer
