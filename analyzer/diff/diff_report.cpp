#include "analyzer/diff/diff_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analyzer/profile/value_format.h"

namespace kiln::analyzer {

void classify_changes(const DiffResult& d, std::vector<ReportEntry>& regressions, std::vector<ReportEntry>& improvements) {
    for (const FunctionDiff& f : d.functions) {
        if (!f.self.significant && !f.total.significant) continue;
        const ShareChange& lead = f.total.significant ? f.total : f.self;
        double p = 1;
        if (f.self.significant) p = std::min(p, f.self.p_adjusted);
        if (f.total.significant) p = std::min(p, f.total.p_adjusted);
        (lead.change() > 0 ? regressions : improvements).push_back({&f, 1 - p});
    }
}

namespace {

std::string pct(double share) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f%%", 100 * share);
    return b;
}

std::string points(double change) {
    char b[32];
    std::snprintf(b, sizeof b, "%+.2f pts", 100 * change);
    return b;
}

std::string relative(const ShareChange& c) {
    const double r = c.relative_percent();
    if (std::isinf(r)) return "new";
    char b[32];
    std::snprintf(b, sizeof b, "%+.1f%%", r);
    return b;
}

std::string pvalue(double p) {
    char b[32];
    std::snprintf(b, sizeof b, p < 1e-4 ? "%.1e" : "%.4f", p);
    return b;
}

std::string confidence(double c) {
    char b[32];
    if (c >= 0.9999) return ">99.99%";
    std::snprintf(b, sizeof b, "%.2f%%", 100 * c);
    return b;
}

// Markdown table cells must not hold pipes or newlines; names may.
std::string cell(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out += ' ';
        else if (c == '`') out += '\'';
        else out += c;
    }
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
    for (const auto& x : v) {
        if (!s.empty()) s += ", ";
        s += '`';
        s += cell(x);
        s += '`';
    }
    return s;
}

void table(const std::vector<ReportEntry>& rows, size_t max_rows, std::ostream& out) {
    out << "| function | total before | total after | total change | self before | self after | self change | "
           "p (adjusted) | confidence |\n"
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (size_t i = 0; i < rows.size() && i < max_rows; ++i) {
        const FunctionDiff& f = *rows[i].function;
        const double p = std::min(f.total.significant ? f.total.p_adjusted : 1.0, f.self.significant ? f.self.p_adjusted : 1.0);
        out << "| `" << cell(f.name) << "` | " << pct(f.total.before) << " | " << pct(f.total.after) << " | "
            << points(f.total.change()) << " (" << relative(f.total) << ") | " << pct(f.self.before) << " | "
            << pct(f.self.after) << " | " << points(f.self.change()) << " (" << relative(f.self) << ") | "
            << pvalue(p) << " | " << confidence(rows[i].confidence) << " |\n";
    }
    if (rows.size() > max_rows) out << "\n…and " << rows.size() - max_rows << " more (see the JSON report).\n";
}

nlohmann::json share_json(const ShareChange& c) {
    const double r = c.relative_percent();
    return {{"before", c.before},
            {"after", c.after},
            {"change", c.change()},
            {"relative_percent", std::isinf(r) ? nlohmann::json(nullptr) : nlohmann::json(r)},
            {"p", c.p},
            {"p_adjusted", c.p_adjusted},
            {"significant", c.significant}};
}

nlohmann::json entries_json(const std::vector<ReportEntry>& rows) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : rows)
        a.push_back({{"name", e.function->name},
                     {"confidence", e.confidence},
                     {"self", share_json(e.function->self)},
                     {"total", share_json(e.function->total)}});
    return a;
}

}  // namespace

void write_diff_markdown(const DiffResult& d, const DiffReportOptions& o, std::ostream& out) {
    std::vector<ReportEntry> reg, imp;
    classify_changes(d, reg, imp);
    out << "## kiln diff: " << d.type.type << " (" << d.type.unit << ")\n\n";
    if (o.gate) {
        const GateResult& g = *o.gate;
        char threshold[64];
        std::snprintf(threshold, sizeof threshold, "%g%%", g.options.fail_above_percent);
        if (g.failed) {
            out << "**Gate failed**: significant growth of more than " << threshold
                << " of the base total share in ";
            for (size_t i = 0; i < g.culprits.size(); ++i) {
                const FunctionDiff& f = *g.culprits[i];
                out << (i ? ", " : "") << "`" << cell(f.name) << "` (" << pct(f.total.before) << " → "
                    << pct(f.total.after) << ", " << relative(f.total) << ", p = " << pvalue(f.total.p_adjusted) << ")";
            }
            out << ".\n\n";
        } else {
            out << "**Gate passed**: no function with at least " << pct(g.options.min_share)
                << " of the total grew significantly by more than " << threshold << " of its share.\n\n";
        }
    }
    out << "- BASE: " << join(d.base_sources) << " — " << format_value(static_cast<double>(d.base_value), d.type.unit)
        << ", " << d.base_count << " samples\n";
    out << "- NEW: " << join(d.new_sources) << " — " << format_value(static_cast<double>(d.new_value), d.type.unit)
        << ", " << d.new_count << " samples\n\n";
    out << "### Regressions (" << reg.size() << ")\n\n";
    if (reg.empty()) out << "None significant.\n";
    else table(reg, o.max_rows, out);
    out << "\n### Improvements (" << imp.size() << ")\n\n";
    if (imp.empty()) out << "None significant.\n";
    else table(imp, o.max_rows, out);
    out << "\n<details><summary>Method</summary>\n\n" << d.method()
        << " Share changes are in percentage points (pts) of each side's total, relative changes in percent of the "
           "base share.\n\n</details>\n";
}

void write_diff_json(const DiffResult& d, const DiffReportOptions& o, std::ostream& out) {
    std::vector<ReportEntry> reg, imp;
    classify_changes(d, reg, imp);
    nlohmann::json j;
    j["type"] = {{"type", d.type.type}, {"unit", d.type.unit}};
    j["base"] = {{"sources", d.base_sources}, {"value", d.base_value}, {"samples", d.base_count}};
    j["new"] = {{"sources", d.new_sources}, {"value", d.new_value}, {"samples", d.new_count}};
    j["alpha"] = d.options.alpha;
    j["correction"] = correction_name(d.options.correction);
    j["tests"] = d.tests;
    j["method"] = d.method();
    if (o.gate) {
        nlohmann::json culprits = nlohmann::json::array();
        for (const FunctionDiff* f : o.gate->culprits) culprits.push_back(f->name);
        j["gate"] = {{"fail_above_percent", o.gate->options.fail_above_percent},
                     {"min_share", o.gate->options.min_share},
                     {"failed", o.gate->failed},
                     {"culprits", culprits}};
    } else {
        j["gate"] = nullptr;
    }
    j["regressions"] = entries_json(reg);
    j["improvements"] = entries_json(imp);
    nlohmann::json all = nlohmann::json::array();
    for (const FunctionDiff& f : d.functions)
        all.push_back({{"name", f.name}, {"self", share_json(f.self)}, {"total", share_json(f.total)}});
    j["functions"] = all;
    out << j.dump(2) << '\n';
}

}  // namespace kiln::analyzer
