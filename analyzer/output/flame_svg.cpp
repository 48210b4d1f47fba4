#include "analyzer/output/flame_svg.h"

#include <algorithm>
#include <cstdarg>
#include <cmath>
#include <cstdio>

#include "analyzer/output/flame_svg_script.h"
#include "analyzer/profile/value_format.h"

namespace kiln::analyzer {
namespace {

// Valid UTF-8 without control characters: a well-formed sequence passes, anything else
// becomes U+FFFD; C0 controls and DEL become '?'. Also drops U+FFFE/U+FFFF, which UTF-8
// can encode but XML 1.0 does not allow.
std::string sanitize_utf8(const std::string& s) {
    static const char kReplacement[] = "\xef\xbf\xbd";
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    for (size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
            ++i;
            continue;
        }
        const size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && len == 3) {
            const unsigned char c1 = p[i + 1];
            ok = !(c == 0xe0 && c1 < 0xa0) &&                     // overlong
                 !(c == 0xed && c1 >= 0xa0) &&                    // surrogates
                 !(c == 0xef && c1 == 0xbf && p[i + 2] >= 0xbe);  // U+FFFE, U+FFFF
        }
        if (ok && len == 4) {
            const unsigned char c1 = p[i + 1];
            ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);  // overlong, > U+10FFFF
        }
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            out += kReplacement;
            ++i;
        }
    }
    return out;
}

// Escapes markup in text that is already valid UTF-8 without control characters.
std::string escape_markup(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// Geometry; the script derives a frame's depth from its y, so these are its contract too.
constexpr double kFrameHeight = 16;
constexpr double kFontSize = 12;
constexpr double kFontWidth = 0.59;  // average glyph width per font size (Verdana)
constexpr double kPad = 10;
constexpr double kTop = 3 * kFrameHeight + 8;      // title, subtitle, controls
constexpr double kBottom = 2 * kFrameHeight + 12;  // details line, legend

// Deterministic 0..1 values from a name, so the same function has the same colour in
// every graph.
double name_hash(const std::string& name, uint64_t salt) {
    uint64_t h = 1469598103934665603ull ^ salt;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    return static_cast<double>(h % 1000) / 1000.0;
}

// One letter per colour family; the CSS class of a frame's <g>.
char kind_class(const FlameNode& n) {
    // Off-CPU time (the offcpu view, the cold side of hotcold): blue, whatever the code.
    if (n.kind == FrameKind::OffCpu || (n.cold > 0 && n.cold == n.total)) return 'o';
    switch (n.kind) {
        case FrameKind::Kernel:
            return 'k';
        case FrameKind::Jit:
            return 'j';
        case FrameKind::Unknown:
        case FrameKind::Synthetic:
        case FrameKind::OffCpu:
            return 's';
        case FrameKind::User:
            break;
    }
    return n.inlined ? 'i' : 'u';
}

struct Rgb {
    int r, g, b;
};

Rgb colour(char cls, const std::string& name) {
    const double a = name_hash(name, 1), b = name_hash(name, 2);
    auto lin = [](int base, int span, double t) { return base + static_cast<int>(span * t); };
    switch (cls) {
        case 'k':
            return {lin(225, 30, a), lin(150, 45, b), lin(0, 40, a)};  // amber
        case 'j':
            return {lin(50, 60, a), lin(175, 60, b), lin(50, 50, a)};  // green
        case 'i':
            return {lin(60, 60, a), lin(170, 50, b), lin(190, 50, b)};  // aqua
        case 's':
            return {lin(170, 40, a), lin(170, 40, a), lin(170, 40, a)};  // grey
        case 'o':
            return {lin(40, 60, a), lin(90, 70, b), lin(200, 55, a)};  // blue: off-CPU
        default:
            return {lin(205, 50, b), lin(35, 80, a), lin(20, 45, b)};  // red to orange-red
    }
}

// The label of a frame w pixels wide: the name if it fits, else a prefix and "..", else
// nothing. Counts code points (the name is valid UTF-8 already); the script's fitText
// applies the same rule after a zoom.
std::string fit(const std::string& name, double w) {
    const auto chars = static_cast<long>((w - 6) / (kFontSize * kFontWidth));
    if (chars < 3) return "";
    size_t cut = 0;  // byte offset after chars - 2 code points
    long seen = 0;
    for (size_t i = 0; i < name.size(); ++i) {
        if ((static_cast<unsigned char>(name[i]) & 0xc0) == 0x80) continue;
        if (seen == chars - 2) cut = i;
        if (++seen > chars) return name.substr(0, cut) + "..";
    }
    return name;
}

class Writer {
public:
    Writer(const FlameNode& root, const FlameSvgOptions& opts, std::ostream& out)
        : root_(root), opts_(opts), out_(out) {
        width_ = std::max(200, opts.width);
        inner_ = width_ - 2 * kPad;
        scale_ = root.total > 0 ? inner_ / static_cast<double>(root.total) : 0;
        depth_ = root.total > 0 && drawn(root) ? max_depth(root) + 1 : 1;
        if (opts.differential) diff_scale_ = std::max(0.01, max_change(root));
        height_ = kTop + depth_ * kFrameHeight + kBottom;
    }

    void write() {
        header();
        out_ << "<g id=\"frames\">\n";
        if (root_.total > 0) frame(root_, 0, 0, 0);
        out_ << "</g>\n";
        footer();
    }

private:
    bool drawn(const FlameNode& n) const {
        return n.total > 0 && static_cast<double>(n.total) * scale_ >= opts_.min_width_px;
    }

    int max_depth(const FlameNode& n) const {
        int d = 0;
        for (const auto& c : n.children)
            if (drawn(c)) d = std::max(d, 1 + max_depth(c));
        return d;
    }

    // Differential graphs: change of a frame's share from base to new (fractions of 1).
    double share_change(const FlameNode& n) const {
        const double after = root_.total > 0 ? static_cast<double>(n.total) / static_cast<double>(root_.total) : 0;
        const double before = root_.base > 0 ? static_cast<double>(n.base) / static_cast<double>(root_.base) : 0;
        return after - before;
    }

    double max_change(const FlameNode& n) const {
        double m = std::abs(share_change(n));
        for (const auto& c : n.children)
            if (drawn(c)) m = std::max(m, max_change(c));
        return m;
    }

    // Red grew, blue shrank, near-white unchanged; intensity by the size of the change.
    Rgb diff_colour(double change) const {
        const double t = std::min(1.0, std::abs(change) / diff_scale_);
        const int fade = 245 - static_cast<int>(235 * t);
        if (change > 0) return {255, fade, fade};
        if (change < 0) return {fade, fade, 255};
        return {245, 245, 245};
    }

    static size_t count_nodes(const FlameNode& n) {
        size_t k = 1;
        for (const auto& c : n.children) k += count_nodes(c);
        return k;
    }

    double y_of(int level) const {
        return opts_.inverted ? kTop + level * kFrameHeight : kTop + (depth_ - 1 - level) * kFrameHeight;
    }

    void header() {
        // data-*: what the script needs to lay frames out again (see flame_svg_script.h).
        emit(
            "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "xmlns=\"http://www.w3.org/2000/svg\" onload=\"init(evt)\" data-total=\"%lld\" "
            "data-left=\"%.0f\" data-width=\"%.0f\" data-y0=\"%.0f\" data-dy=\"%.0f\">\n",
            width_, height_, width_, height_, static_cast<long long>(std::max<int64_t>(root_.total, 0)), kPad, inner_,
            y_of(0), opts_.inverted ? kFrameHeight : -kFrameHeight);
        out_ << "<style>\n"
                "text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); }\n"
                "#title { text-anchor: middle; font-size: 17px; }\n"
                "#subtitle { text-anchor: middle; fill: rgb(90,90,90); }\n"
                "#search, #unzoom { cursor: pointer; }\n"
                "#frames > g { cursor: pointer; }\n"
                "#frames rect { rx: 2px; ry: 2px; }\n"
                "#frames > g:hover > rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
                ".hide { display: none; }\n"
                ".parent { opacity: 0.5; }\n"
                "#frames > g.match > rect { fill: rgb(230,0,230); }\n"
                "</style>\n";
        // The script is a constant: no name ever goes into it, so no name can end the CDATA.
        out_ << "<script type=\"text/ecmascript\"><![CDATA[" << kFlameSvgScript << "]]></script>\n";
        emit("<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"rgb(248,248,240)\"/>\n", width_, height_);
        emit("<text id=\"title\" x=\"%.1f\" y=\"24\">", width_ / 2);
        out_ << xml_escape(opts_.title) << "</text>\n";
        emit("<text id=\"subtitle\" x=\"%.1f\" y=\"42\">", width_ / 2);
        out_ << xml_escape(opts_.subtitle) << "</text>\n";
        const double line = height_ - kBottom + 14;
        emit(
            "<text id=\"unzoom\" class=\"hide\" x=\"%.0f\" y=\"24\">Reset Zoom</text>\n"
            "<text id=\"search\" x=\"%.0f\" y=\"24\" text-anchor=\"end\">Search</text>\n"
            "<text id=\"matched\" class=\"hide\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\"> </text>\n"
            "<text id=\"details\" x=\"%.0f\" y=\"%.0f\"> </text>\n",
            kPad, width_ - kPad, width_ - kPad, line, kPad, line);
        if (root_.total <= 0)
            emit("<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">No samples</text>\n", width_ / 2,
                 kTop + kFrameHeight - 4);
    }

    // One frame and its subtree, depth first. start is the frame's offset from the left
    // edge in value units; gap is the value of elided siblings just before it, which the
    // script needs (as data-g) to recompute offsets exactly when it zooms.
    // Returns whether the frame was drawn.
    bool frame(const FlameNode& n, int64_t start, int level, int64_t gap) {
        if (!drawn(n)) {
            elided_ += count_nodes(n);
            return false;
        }
        const double x = kPad + static_cast<double>(start) * scale_;
        const double w = static_cast<double>(n.total) * scale_;
        const double y = y_of(level);
        const char cls = kind_class(n);
        const std::string name = sanitize_utf8(n.name);
        const Rgb c = opts_.differential ? diff_colour(share_change(n)) : colour(cls, n.name);
        emit("<g class=\"%c\" data-v=\"%lld\"", cls, static_cast<long long>(n.total));
        if (gap != 0) emit(" data-g=\"%lld\"", static_cast<long long>(gap));
        // The script takes the name from the title: everything before the last " (".
        out_ << "><title>" << escape_markup(name) << " ("
             << escape_markup(sanitize_utf8(format_value(static_cast<double>(n.total), opts_.unit)));
        emit(", %.2f%%", 100.0 * static_cast<double>(n.total) / static_cast<double>(root_.total));
        if (opts_.differential) {
            const double after = static_cast<double>(n.total) / static_cast<double>(root_.total);
            emit("; before %.2f%% \u2192 after %.2f%%, %+.2f pts", 100.0 * (after - share_change(n)), 100.0 * after,
                 100.0 * share_change(n));
        }
        emit(")</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%.0f\" fill=\"#%02x%02x%02x\"/>", x, y, w,
             kFrameHeight - 1, c.r, c.g, c.b);
        // Frames too narrow for a label get no <text>; the script adds one if a zoom widens them.
        const std::string label = fit(name, w);
        if (!label.empty()) {
            emit("<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 11.5);
            out_ << escape_markup(label) << "</text>";
        }
        out_ << "</g>\n";
        int64_t child_start = start, pending = 0;
        for (const auto& child : n.children) {
            pending = frame(child, child_start, level + 1, pending) ? 0 : pending + child.total;
            child_start += child.total;
        }
        return true;
    }

    void footer() {
        const struct {
            char cls;
            const char* label;
        } legend[] = {{'u', "user"}, {'i', "inlined"}, {'k', "kernel"}, {'j', "JIT"}, {'s', "other"}, {'o', "off-CPU"}};
        double lx = kPad;
        const double ly = height_ - kBottom + 24;
        if (opts_.differential) {
            const struct {
                double change;
                const char* label;
            } diff_legend[] = {{diff_scale_, "grew"}, {-diff_scale_, "shrank"}, {0, "unchanged"}};
            for (const auto& l : diff_legend) {
                const Rgb c = diff_colour(l.change);
                emit(
                    "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"#%02x%02x%02x\" stroke=\"rgb(150,150,150)\"/>"
                    "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
                    lx, ly, c.r, c.g, c.b, lx + 16, ly + 10, l.label);
                lx += 100;
            }
        }
        for (const auto& l : legend) {
            if (opts_.differential) break;
            if (l.cls == 'o' && root_.cold == 0) continue;  // only graphs with off-CPU time
            const Rgb c = colour(l.cls, "");
            emit(
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"#%02x%02x%02x\"/>"
                "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
                lx, ly, c.r, c.g, c.b, lx + 16, ly + 10, l.label);
            lx += 90;
        }
        if (elided_ > 0) {
            emit(
                "<!-- %zu frames narrower than %g px not drawn; their values count in their parents -->\n"
                "<text id=\"elided\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"rgb(90,90,90)\">"
                "%zu frames narrower than %.2g px not drawn</text>\n",
                elided_, opts_.min_width_px, width_ - kPad, ly + 10, elided_, opts_.min_width_px);
        }
        out_ << "</svg>\n";
    }

    // Formatted output of short pieces (numbers and fixed text; names go through out_).
    __attribute__((format(printf, 2, 3))) void emit(const char* fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        const int len = std::vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (len > 0) out_.write(buf, std::min<std::streamsize>(len, sizeof buf - 1));
    }

    const FlameNode& root_;
    const FlameSvgOptions& opts_;
    std::ostream& out_;
    double width_ = 0, inner_ = 0, scale_ = 0, height_ = 0;
    int depth_ = 1;
    size_t elided_ = 0;
    double diff_scale_ = 0.01;  // differential: the change drawn at full intensity
};

}  // namespace

std::string xml_escape(const std::string& s) { return escape_markup(sanitize_utf8(s)); }

void write_flame_svg(const FlameNode& root, const FlameSvgOptions& opts, std::ostream& out) {
    Writer(root, opts, out).write();
}

}  // namespace kiln::analyzer
