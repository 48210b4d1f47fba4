// Written by hand, like flame_svg.cpp: a line chart is a few <polyline>s and <text>s, and no
// charting library in the project's dependencies writes SVG without a browser or a script.
#include "analyzer/output/timeline_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "analyzer/output/flame_svg.h"  // xml_escape
#include "analyzer/output/timeline_format.h"

namespace kiln::analyzer {

namespace {

constexpr double kWidth = 1040, kLeft = 70, kRight = 310, kPanelHeight = 150, kPanelGap = 50, kTop = 60;
constexpr size_t kMaxLinesPerPanel = 8;  // more lines in one panel are unreadable: the largest are drawn
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf"};

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// A value for an axis label: 1.5k, 2.3M, 12.
std::string short_number(double v) {
    char buf[32];
    const double a = std::fabs(v);
    if (a >= 1e9) std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
    else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
    else if (a >= 1e3) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
    else std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

double total(const TimelineSeries& s) {
    double sum = 0;
    for (double v : s.values)
        if (!std::isnan(v)) sum += std::fabs(v);
    return sum;
}

// A panel's title: its unit and what its series are.
std::string panel_title(const std::string& unit) {
    static const std::map<std::string, std::string> kWhat{
        {"%", "CPU busy, pressure stall, process CPU"}, {"tasks", "run queue and blocked tasks"},
        {"load", "load average (updated every 5 s)"},     {"bytes", "resident memory"},
        {"bytes/s", "storage I/O"},                       {"ns", "on-CPU and off-CPU time per window"},
        {"samples", "samples per window"},                {"faults", "page faults per window"}};
    auto w = kWhat.find(unit);
    return w == kWhat.end() ? unit : unit + " · " + w->second;
}

std::string legend_name(const Timeline& t, const TimelineSeries& s) {
    if (!s.name.starts_with("process.")) return s.name;
    const int32_t pid = std::atoi(s.name.c_str() + 8);
    auto l = t.labels.find(pid);
    // comm is at most 15 characters, so the legend stays within the right margin.
    return l == t.labels.end() ? s.name : s.name + " (" + l->second.substr(0, 15) + ")";
}

}  // namespace

void write_timeline_svg(const Timeline& t, const TimelineSvgOptions& o, std::ostream& out) {
    // Panels in order of the unit's first series.
    std::vector<std::string> units;
    std::map<std::string, std::vector<const TimelineSeries*>> by_unit;
    for (const auto& s : t.series) {
        if (!by_unit.count(s.unit)) units.push_back(s.unit);
        by_unit[s.unit].push_back(&s);
    }
    const TimelineWindows& w = t.windows;
    const double t0 = w.count ? w.t_s(0) : 0.0;
    const double t1 = t0 + static_cast<double>(w.count * w.window_ns) / 1e9;
    const double plot_w = kWidth - kLeft - kRight;
    const double height = kTop + static_cast<double>(units.size()) * (kPanelHeight + kPanelGap) + 20;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << kWidth << "\" height=\""
        << fmt(height) << "\" viewBox=\"0 0 " << kWidth << " " << fmt(height) << "\" font-family=\"sans-serif\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        << "<text x=\"" << kWidth / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"18\">" << xml_escape(o.title)
        << "</text>\n"
        << "<text x=\"" << kWidth / 2 << "\" y=\"44\" text-anchor=\"middle\" font-size=\"12\" fill=\"#555\">"
        << xml_escape(o.subtitle.empty() ? "" : o.subtitle + " · ") << w.count << " windows of "
        << timeline_format::number(static_cast<double>(w.window_ns) / 1e6) << " ms</text>\n";
    auto x_of = [&](double ts) { return kLeft + (t1 > t0 ? (ts - t0) / (t1 - t0) : 0.0) * plot_w; };
    for (size_t p = 0; p < units.size(); ++p) {
        const std::string& unit = units[p];
        auto lines = by_unit[unit];
        const size_t omitted = lines.size() > kMaxLinesPerPanel ? lines.size() - kMaxLinesPerPanel : 0;
        std::stable_sort(lines.begin(), lines.end(),
                         [](const TimelineSeries* a, const TimelineSeries* b) { return total(*a) > total(*b); });
        lines.resize(lines.size() - omitted);
        double lo = 0, hi = unit == "%" ? 100.0 : 0.0;
        for (const auto* s : lines)
            for (double v : s->values)
                if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        if (hi <= lo) hi = lo + 1;
        const double top = kTop + static_cast<double>(p) * (kPanelHeight + kPanelGap);
        const double bottom = top + kPanelHeight;
        auto y_of = [&](double v) { return bottom - (v - lo) / (hi - lo) * kPanelHeight; };
        out << "<g class=\"panel\">\n<text x=\"" << kLeft << "\" y=\"" << fmt(top - 8)
            << "\" font-size=\"13\" font-weight=\"bold\">" << xml_escape(panel_title(unit)) << "</text>\n"
            << "<rect x=\"" << kLeft << "\" y=\"" << fmt(top) << "\" width=\"" << fmt(plot_w) << "\" height=\""
            << kPanelHeight << "\" fill=\"none\" stroke=\"#999\"/>\n";
        for (size_t m = 0; m < o.marks.size(); ++m) {  // shaded ranges, under the lines
            const TimelineMark& mark = o.marks[m];
            const double a = std::clamp(x_of(mark.start_s), kLeft, kLeft + plot_w);
            const double b = std::clamp(x_of(mark.end_s), kLeft, kLeft + plot_w);
            if (b <= a) continue;
            out << "<rect class=\"mark\" x=\"" << fmt(a) << "\" y=\"" << fmt(top) << "\" width=\"" << fmt(b - a)
                << "\" height=\"" << kPanelHeight << "\" fill=\"#e8590c\" fill-opacity=\"0.15\"><title>"
                << xml_escape(mark.label) << "</title></rect>\n";
            if (p == 0)
                out << "<text x=\"" << fmt(a + 2) << "\" y=\"" << fmt(top + 11) << "\" font-size=\"10\" fill=\"#c2410c\">"
                    << xml_escape(std::to_string(m + 1)) << "</text>\n";
        }
        for (int k = 0; k <= 4; ++k) {  // value axis: five labels, grid lines
            const double v = lo + (hi - lo) * k / 4.0, y = y_of(v);
            out << "<line x1=\"" << kLeft << "\" x2=\"" << fmt(kLeft + plot_w) << "\" y1=\"" << fmt(y) << "\" y2=\""
                << fmt(y) << "\" stroke=\"#eee\"/><text x=\"" << kLeft - 4 << "\" y=\"" << fmt(y + 4)
                << "\" text-anchor=\"end\" font-size=\"10\">" << short_number(v) << "</text>\n";
        }
        for (int k = 0; k <= 5; ++k) {  // time axis: six labels in seconds
            const double ts = t0 + (t1 - t0) * k / 5.0, x = x_of(ts);
            out << "<text x=\"" << fmt(x) << "\" y=\"" << fmt(bottom + 14) << "\" text-anchor=\"middle\" "
                << "font-size=\"10\">" << timeline_format::number(std::round(ts * 1000) / 1000) << "</text>\n";
        }
        out << "<text x=\"" << fmt(kLeft + plot_w) << "\" y=\"" << fmt(bottom + 28)
            << "\" text-anchor=\"end\" font-size=\"10\" fill=\"#555\">time (s from the recording's start)</text>\n";
        for (size_t k = 0; k < lines.size(); ++k) {
            const TimelineSeries& s = *lines[k];
            const char* color = kColors[k % std::size(kColors)];
            // A window's value is drawn at its middle; a gap (no value) breaks the line.
            std::string points;
            auto flush = [&] {
                if (!points.empty())
                    out << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.5\" points=\""
                        << points << "\"><title>" << xml_escape(s.name) << "</title></polyline>\n";
                points.clear();
            };
            for (size_t i = 0; i < s.values.size() && i < w.count; ++i) {
                if (std::isnan(s.values[i])) {
                    flush();
                    continue;
                }
                const double mid = w.t_s(i) + static_cast<double>(w.window_ns) / 2e9;
                points += fmt(x_of(mid)) + "," + fmt(y_of(s.values[i])) + " ";
            }
            flush();
            const double ly = top + 12 + static_cast<double>(k) * 16;
            out << "<rect x=\"" << fmt(kLeft + plot_w + 12) << "\" y=\"" << fmt(ly - 9) << "\" width=\"10\" height=\"10\" "
                << "fill=\"" << color << "\"/><text x=\"" << fmt(kLeft + plot_w + 26) << "\" y=\"" << fmt(ly)
                << "\" font-size=\"11\">" << xml_escape(legend_name(t, s)) << "</text>\n";
        }
        if (omitted)
            out << "<text x=\"" << fmt(kLeft + plot_w + 12) << "\" y=\"" << fmt(bottom) << "\" font-size=\"10\" "
                << "fill=\"#555\">+" << omitted << " smaller series (see --csv)</text>\n";
        out << "</g>\n";
    }
    out << "</svg>\n";
}

}  // namespace kiln::analyzer
