#include "analyzer/output/timeline_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "analyzer/output/timeline_format.h"

namespace kiln::analyzer {

namespace {

constexpr size_t kSparkWidth = 60;
constexpr size_t kTopProcesses = 3;

// The columns of the table: the main machine series that exist, then the processes with the
// most CPU (process.PID.cpu from the counters, else process.PID.oncpu from samples).
std::vector<const TimelineSeries*> table_columns(const Timeline& t) {
    std::vector<const TimelineSeries*> cols;
    for (const char* name : {"load.running", "cpu.busy", "samples", "psi.cpu.some", "offcpu", "faults"})
        if (const auto* s = t.find(name)) cols.push_back(s);
    auto total = [](const TimelineSeries& s) {
        double sum = 0;
        for (double v : s.values)
            if (!std::isnan(v)) sum += v;
        return sum;
    };
    std::vector<const TimelineSeries*> procs;
    for (const char* suffix : {".cpu", ".oncpu"}) {
        for (const auto& s : t.series)
            if (s.name.starts_with("process.") && s.name.ends_with(suffix)) procs.push_back(&s);
        if (!procs.empty()) break;
    }
    std::stable_sort(procs.begin(), procs.end(),
                     [&](const TimelineSeries* a, const TimelineSeries* b) { return total(*a) > total(*b); });
    if (procs.size() > kTopProcesses) procs.resize(kTopProcesses);
    cols.insert(cols.end(), procs.begin(), procs.end());
    return cols;
}

std::string cell(double v) {
    if (std::isnan(v)) return "-";
    // Whole numbers as they are (counts, bytes, ns), fractions to two places.
    char buf[40];
    if (v == std::round(v) && std::fabs(v) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else
        std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

}  // namespace

std::string sparkline(const std::vector<double>& values, size_t width) {
    static const char* const kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    if (values.empty() || width == 0) return "";
    const size_t group = (values.size() + width - 1) / width;
    std::vector<double> points;
    for (size_t i = 0; i < values.size(); i += group) {
        double sum = 0;
        size_t n = 0;
        for (size_t j = i; j < std::min(values.size(), i + group); ++j)
            if (!std::isnan(values[j])) sum += values[j], ++n;
        points.push_back(n ? sum / static_cast<double>(n) : NAN);
    }
    double lo = INFINITY, hi = -INFINITY;
    for (double v : points)
        if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    std::string out;
    for (double v : points) {
        if (std::isnan(v)) {
            out += ' ';
            continue;
        }
        const double f = hi > lo ? (v - lo) / (hi - lo) : 0.0;
        out += kBars[std::min<size_t>(7, static_cast<size_t>(f * 8.0))];
    }
    return out;
}

void write_timeline_text(const Timeline& t, std::ostream& out) {
    const TimelineWindows& w = t.windows;
    out << "timeline: " << w.count << " windows of " << timeline_format::number(static_cast<double>(w.window_ns) / 1e6)
        << " ms from " << timeline_format::number(w.count ? w.t_s(0) : 0.0)
        << " s (t_s: seconds from the recording's start, the base of --time)\n";
    const auto cols = table_columns(t);
    auto header = [&t](const TimelineSeries* s) {
        std::string name = s->name;
        if (name.starts_with("process.")) {
            const int32_t pid = std::atoi(name.c_str() + 8);
            if (auto l = t.labels.find(pid); l != t.labels.end()) name += "(" + l->second + ")";
        }
        return name + " [" + s->unit + "]";
    };
    std::vector<size_t> widths;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%8s", "t_s");
    out << buf;
    for (const auto* c : cols) {
        const std::string h = header(c);
        widths.push_back(std::max<size_t>(10, h.size()));
        out << "  " << std::string(widths.back() - h.size(), ' ') << h;
    }
    out << "\n";
    for (size_t i = 0; i < w.count; ++i) {
        std::snprintf(buf, sizeof buf, "%8.3f", w.t_s(i));
        out << buf;
        for (size_t k = 0; k < cols.size(); ++k) {
            const std::string v = cell(i < cols[k]->values.size() ? cols[k]->values[i] : NAN);
            out << "  " << std::string(widths[k] > v.size() ? widths[k] - v.size() : 0, ' ') << v;
        }
        out << "\n";
    }
    out << "\n";
    size_t name_width = 0;
    for (const auto& s : t.series) name_width = std::max(name_width, s.name.size());
    for (const auto& s : t.series) {
        double lo = INFINITY, hi = -INFINITY;
        for (double v : s.values)
            if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        out << s.name << std::string(name_width + 2 - s.name.size(), ' ') << sparkline(s.values, kSparkWidth)
            << "  min " << cell(lo) << " max " << cell(hi) << " " << s.unit;
        if (s.name.starts_with("process.")) {
            const int32_t pid = std::atoi(s.name.c_str() + 8);
            if (auto l = t.labels.find(pid); l != t.labels.end()) out << " (" << l->second << ")";
        }
        out << "\n";
    }
    for (const auto& n : t.notes) out << "note: " << n << "\n";
}

}  // namespace kiln::analyzer
