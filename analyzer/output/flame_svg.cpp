#include "analyzer/output/flame_svg.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "analyzer/output/flame_svg_script.h"
#include "analyzer/profile/value_format.h"

namespace kiln::analyzer {

std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 8);
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    for (size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            switch (c) {
                case '&': out += "&amp;"; break;
                case '<': out += "&lt;"; break;
                case '>': out += "&gt;"; break;
                case '"': out += "&quot;"; break;
                case '\'': out += "&#39;"; break;
                default: out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
            }
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence passes; anything else becomes U+FFFD.
        size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && len == 3) {
            const unsigned char c1 = p[i + 1];
            ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
        }
        if (ok && len == 4) {
            const unsigned char c1 = p[i + 1];
            ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
        }
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
    return out;
}

namespace {

constexpr double kFrameHeight = 16;
constexpr double kFontSize = 12;
constexpr double kFontWidth = 0.59;
constexpr double kPad = 10;
constexpr double kTop = 3 * kFrameHeight + 8;  // title, subtitle, controls
constexpr double kBottom = 2 * kFrameHeight + 12;  // details line, legend

// Deterministic 0..1 values from a name, so the same function has the same colour in
// every graph.
double name_hash(const std::string& name, uint64_t salt) {
    uint64_t h = 1469598103934665603ull ^ salt;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    return static_cast<double>(h % 1000) / 1000.0;
}

const char* kind_class(const FlameNode& n) {
    if (n.kind == FrameKind::Kernel) return "k";
    if (n.kind == FrameKind::Jit) return "j";
    if (n.kind == FrameKind::Unknown || n.kind == FrameKind::Synthetic) return "s";
    return n.inlined ? "i" : "u";
}

std::string colour(const FlameNode& n) {
    const double a = name_hash(n.name, 1), b = name_hash(n.name, 2);
    int r, g, bl;
    switch (kind_class(n)[0]) {
        case 'k': r = 225 + int(30 * a); g = 150 + int(45 * b); bl = int(40 * a); break;        // amber
        case 'j': r = 50 + int(60 * a); g = 175 + int(60 * b); bl = 50 + int(50 * a); break;    // green
        case 'i': r = 60 + int(60 * a); g = 170 + int(50 * b); bl = 190 + int(50 * b); break;   // aqua
        case 's': r = g = bl = 170 + int(40 * a); break;                                       // grey
        default: r = 200 + int(55 * b); g = 30 + int(100 * a); bl = 20 + int(50 * b); break;  // red
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "rgb(%d,%d,%d)", r, g, bl);
    return buf;
}

std::string fit(const std::string& name, double width) {
    const int chars = static_cast<int>((width - 6) / (kFontSize * kFontWidth));
    if (chars < 3) return "";
    if (static_cast<int>(name.size()) <= chars) return name;
    // Cut on a UTF-8 character boundary.
    size_t cut = static_cast<size_t>(chars - 2);
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) --cut;
    return name.substr(0, cut) + "..";
}

int max_depth(const FlameNode& n, double scale, double min_px) {
    int d = 0;
    for (const auto& c : n.children)
        if (static_cast<double>(c.total) * scale >= min_px) d = std::max(d, 1 + max_depth(c, scale, min_px));
    return d;
}

}  // namespace

void write_flame_svg(const FlameNode& root, const FlameSvgOptions& opts, std::ostream& out) {
    const double width = std::max(200, opts.width);
    const double inner = width - 2 * kPad;
    const double total = static_cast<double>(std::max<int64_t>(root.total, 1));
    const double scale = inner / total;
    const int depth = max_depth(root, scale, opts.min_width_px) + 1;
    const double height = kTop + depth * kFrameHeight + kBottom;
    char buf[512];

    std::snprintf(buf, sizeof buf,
                  "<?xml version=\"1.0\" standalone=\"no\"?>\n"
                  "<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                  "xmlns=\"http://www.w3.org/2000/svg\" onload=\"init(evt)\" data-total=\"%lld\" "
                  "data-left=\"%.0f\" data-width=\"%.2f\" data-inverted=\"%d\" data-unit=\"",
                  width, height, width, height, static_cast<long long>(root.total), kPad, inner,
                  opts.inverted ? 1 : 0);
    out << buf << xml_escape(opts.unit) << "\">\n";
    out << "<style>\n"
           "text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); }\n"
           "#title { text-anchor: middle; font-size: 17px; }\n"
           "#subtitle { text-anchor: middle; fill: rgb(90,90,90); }\n"
           "#search, #unzoom { cursor: pointer; }\n"
           "#frames > g { cursor: pointer; }\n"
           "#frames > g:hover > rect { stroke: black; stroke-width: 0.5; }\n"
           ".hide { display: none; }\n"
           ".parent { opacity: 0.5; }\n"
           "#frames > g.match > rect { fill: rgb(230,0,230); }\n"
           "</style>\n";
    out << "<script type=\"text/ecmascript\"><![CDATA[" << kFlameSvgScript << "]]></script>\n";
    std::snprintf(buf, sizeof buf, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"rgb(248,248,240)\"/>\n",
                  width, height);
    out << buf;
    std::snprintf(buf, sizeof buf, "<text id=\"title\" x=\"%.1f\" y=\"24\">", width / 2);
    out << buf << xml_escape(opts.title) << "</text>\n";
    std::snprintf(buf, sizeof buf, "<text id=\"subtitle\" x=\"%.1f\" y=\"42\">", width / 2);
    out << buf << xml_escape(opts.subtitle) << "</text>\n";
    std::snprintf(buf, sizeof buf,
                  "<text id=\"unzoom\" class=\"hide\" x=\"%.0f\" y=\"24\">Reset Zoom</text>\n"
                  "<text id=\"search\" x=\"%.0f\" y=\"24\" text-anchor=\"end\">Search</text>\n"
                  "<text id=\"matched\" class=\"hide\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\"> </text>\n"
                  "<text id=\"details\" x=\"%.0f\" y=\"%.0f\"> </text>\n",
                  kPad, width - kPad, width - kPad, height - kBottom + 14, kPad, height - kBottom + 14);
    out << buf;

    out << "<g id=\"frames\">\n";
    size_t elided = 0;
    // Depth-first; x from the cumulative totals of earlier siblings.
    std::function<void(const FlameNode&, double, int)> draw = [&](const FlameNode& n, double x, int level) {
        const double w = static_cast<double>(n.total) * scale;
        if (w < opts.min_width_px) {
            ++elided;
            return;
        }
        const double y = opts.inverted ? kTop + level * kFrameHeight : kTop + (depth - 1 - level) * kFrameHeight;
        const std::string name = xml_escape(n.name);
        const double pct = 100.0 * static_cast<double>(n.total) / total;
        out << "<g class=\"f " << kind_class(n) << "\" data-n=\"" << name << "\" data-v=\"" << n.total
            << "\"><title>" << name << " (" << format_value(static_cast<double>(n.total), opts.unit);
        std::snprintf(buf, sizeof buf, ", %.2f%%)", pct);
        out << buf << "</title>";
        std::snprintf(buf, sizeof buf,
                      "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\" rx=\"2\" ry=\"2\"/>", x,
                      y, w, kFrameHeight - 1, colour(n).c_str());
        out << buf;
        std::snprintf(buf, sizeof buf, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 11.5);
        // Truncate before escaping so an entity is never cut in half.
        out << buf << xml_escape(fit(n.name, w)) << "</text></g>\n";
        double cx = x;
        for (const auto& c : n.children) {
            draw(c, cx, level + 1);
            cx += static_cast<double>(c.total) * scale;
        }
    };
    draw(root, kPad, 0);
    out << "</g>\n";

    // Legend: what the colours mean.
    const struct {
        const char* cls;
        const char* label;
        const char* fill;
    } legend[] = {{"u", "user", "rgb(228,80,45)"},
                  {"i", "inlined", "rgb(90,195,215)"},
                  {"k", "kernel", "rgb(240,172,20)"},
                  {"j", "JIT", "rgb(80,205,75)"},
                  {"s", "other", "rgb(190,190,190)"}};
    double lx = kPad;
    const double ly = height - kBottom + 24;
    for (const auto& l : legend) {
        std::snprintf(buf, sizeof buf,
                      "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                      "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
                      lx, ly, l.fill, lx + 16, ly + 10, l.label);
        out << buf;
        lx += 90;
    }
    if (elided) {
        std::snprintf(buf, sizeof buf,
                      "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"rgb(90,90,90)\">%zu frames narrower than "
                      "%.2g px not drawn</text>\n",
                      width - kPad, ly + 10, elided, opts.min_width_px);
        out << buf;
    }
    out << "</svg>\n";
}

}  // namespace kiln::analyzer
