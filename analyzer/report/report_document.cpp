#include "analyzer/report/report_document.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

#include "analyzer/anomaly/anomaly_flame.h"

namespace kiln::analyzer {

namespace {

using nlohmann::json;

// A stack's name ids as a hash key.
std::string stack_key(const std::vector<uint32_t>& ids) {
    return {reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(uint32_t)};
}

// The kind a folded name's suffix says (names first met in folded keys, not in a tree).
FrameKind kind_of_folded(std::string_view name) {
    if (name.ends_with("_[k]")) return FrameKind::Kernel;
    if (name.ends_with("_[j]")) return FrameKind::Jit;
    return FrameKind::User;
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// Depth-first over a tree below its root, with the path of name ids to each node.
template <typename NameId, typename Visit>
void walk(const FlameNode& node, std::vector<uint32_t>& path, NameId&& name_id, Visit&& visit) {
    for (const FlameNode& child : node.children) {
        path.push_back(name_id(child));
        visit(child, path);
        walk(child, path, name_id, visit);
        path.pop_back();
    }
}

}  // namespace

ReportDocument::ReportDocument(std::string kind, std::string title, std::string file, std::string command,
                               double duration_s) {
    doc_ = {{"schema", kReportSchema},
            {"kind", std::move(kind)},
            {"title", std::move(title)},
            {"file", std::move(file)},
            {"command", std::move(command)},
            {"duration_s", duration_s},
            {"info", json::array()},
            {"warnings", json::array()},
            {"names", json::array()},
            {"kinds", json::array()},
            {"views", json::array()}};
}

uint32_t ReportDocument::name_id(const std::string& name, FrameKind kind) {
    auto [it, inserted] = name_ids_.try_emplace(name, static_cast<uint32_t>(name_ids_.size()));
    if (inserted) {
        doc_["names"].push_back(name);
        doc_["kinds"].push_back(static_cast<int>(kind));
    }
    return it->second;
}

void ReportDocument::set_info(const std::vector<ReportRow>& rows) {
    json& info = doc_["info"];
    for (const auto& [label, value] : rows) info.push_back({label, value});
}

void ReportDocument::add_warning(const std::string& warning) { doc_["warnings"].push_back(warning); }

void ReportDocument::add_view(const std::string& name, const std::string& description, const std::string& unit,
                              const FlameNode& tree) {
    json stacks = json::array(), values = json::array(), cold = json::array();
    bool any_cold = false;
    auto& ids = stack_ids_[name];
    std::vector<uint32_t> path;
    walk(
        tree, path, [this](const FlameNode& n) { return name_id(n.name, n.kind); },
        [&](const FlameNode& n, const std::vector<uint32_t>& p) {
            if (n.self <= 0) return;
            int64_t self_cold = n.cold;
            for (const FlameNode& c : n.children) self_cold -= c.cold;
            self_cold = std::clamp<int64_t>(self_cold, 0, n.self);
            any_cold = any_cold || self_cold > 0;
            ids.emplace(stack_key(p), static_cast<uint32_t>(stacks.size()));
            stacks.push_back(p);
            values.push_back(n.self);
            cold.push_back(self_cold);
        });
    json view = {{"name", name}, {"description", description}, {"unit", unit}, {"total", tree.total},
                 {"stacks", std::move(stacks)}, {"values", std::move(values)}};
    if (any_cold) view["cold"] = std::move(cold);
    doc_["views"].push_back(std::move(view));
}

void ReportDocument::set_timeline(const std::string& view, const WindowedStacks& windows) {
    json* target = nullptr;
    for (json& v : doc_["views"])
        if (v["name"] == view) target = &v;
    if (!target || windows.bucket_ns == 0) return;
    auto& ids = stack_ids_[view];
    // Each folded key "comm;root;...;leaf" as the view's stack index (added with no whole-
    // recording value when the tree did not have it, which the same samples make rare).
    std::vector<uint32_t> stack_of_key(windows.keys.size());
    std::vector<uint32_t> path;
    for (size_t k = 0; k < windows.keys.size(); ++k) {
        path.clear();
        std::string_view rest = windows.keys[k];
        while (!rest.empty()) {
            const size_t semi = rest.find(';');
            const std::string frame(rest.substr(0, semi));
            path.push_back(name_id(frame, path.empty() ? FrameKind::Synthetic : kind_of_folded(frame)));
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        }
        auto [it, inserted] = ids.try_emplace(stack_key(path), static_cast<uint32_t>((*target)["stacks"].size()));
        if (inserted) {
            (*target)["stacks"].push_back(path);
            (*target)["values"].push_back(0);
            if (target->contains("cold")) (*target)["cold"].push_back(0);
        }
        stack_of_key[k] = it->second;
    }
    // Fine buckets merged into cells of kReportBucketNs when they divide it evenly.
    const uint64_t merge = kReportBucketNs % windows.bucket_ns == 0 ? kReportBucketNs / windows.bucket_ns : 1;
    json runs = json::array();
    uint64_t previous = 0, cell = 0;
    std::map<uint32_t, uint64_t> counts;  // the cell being merged: stack → samples
    auto flush = [&]() {
        if (counts.empty()) return;
        runs.push_back(cell - previous);
        runs.push_back(counts.size());
        for (const auto& [stack, n] : counts) {
            runs.push_back(stack);
            runs.push_back(n);
        }
        previous = cell;
        counts.clear();
    };
    for (const StackBucket& b : windows.buckets) {
        if (b.index / merge != cell) flush();
        cell = b.index / merge;
        for (const auto& [key, n] : b.counts)
            if (key < stack_of_key.size()) counts[stack_of_key[key]] += n;
    }
    flush();
    const uint64_t cells = (windows.bucket_end() + merge - 1) / merge;
    // The cells count samples (whatever the view's unit: a range's graph is in samples).
    doc_["timeline"] = {{"view", view},
                        {"unit", "samples"},
                        {"bucket_s", static_cast<double>(windows.bucket_ns * merge) / 1e9},
                        {"buckets", cells},
                        {"runs", std::move(runs)}};
}

void ReportDocument::set_counters(const Timeline& timeline) {
    json series = json::array();
    for (const TimelineSeries& s : timeline.series) {
        if (!s.has_points()) continue;
        json values = json::array();
        for (double v : s.values) values.push_back(number_or_null(v));
        series.push_back({{"name", s.name}, {"unit", s.unit}, {"values", std::move(values)}});
    }
    if (series.empty() || timeline.windows.count == 0) return;
    doc_["counters"] = {{"window_s", static_cast<double>(timeline.windows.window_ns) / 1e9},
                        {"start_s", timeline.windows.t_s(0)},
                        {"series", std::move(series)}};
}

void ReportDocument::add_diff_stacks(const FlameNode& root, json& out, const char* before_key, const char* after_key) {
    json stacks = json::array(), before = json::array(), after = json::array();
    std::vector<uint32_t> path;
    walk(
        root, path, [this](const FlameNode& n) { return name_id(n.name, n.kind); },
        [&](const FlameNode& n, const std::vector<uint32_t>& p) {
            int64_t base_self = n.base;
            for (const FlameNode& c : n.children) base_self -= c.base;
            base_self = std::max<int64_t>(base_self, 0);
            if (n.self <= 0 && base_self <= 0) return;
            stacks.push_back(p);
            before.push_back(base_self);
            after.push_back(std::max<int64_t>(n.self, 0));
        });
    out["stacks"] = std::move(stacks);
    out[before_key] = std::move(before);
    out[after_key] = std::move(after);
}

void ReportDocument::set_anomalies(const AnomalyReport& report) {
    json ranges = json::array();
    for (const AnomalyRange& r : report.ranges) {
        const std::string label =
            r.kind >= 1 && static_cast<size_t>(r.kind) <= report.kinds.size() ? report.kinds[r.kind - 1].label : "";
        json changes = json::array();
        for (size_t i = 0; i < r.changes.size() && i < 8; ++i)
            changes.push_back({{"function", r.changes[i].function},
                               {"before", r.changes[i].share_before},
                               {"after", r.changes[i].share_after},
                               {"p", r.changes[i].p}});
        json diff = json::object();
        add_diff_stacks(anomaly_diff_tree(report, r), diff, "before", "after");
        ranges.push_back({{"start_s", r.start_s}, {"end_s", r.end_s}, {"kind", r.kind}, {"label", label},
                          {"score", number_or_null(r.score)}, {"windows", r.windows},
                          {"changes", std::move(changes)}, {"diff", std::move(diff)}});
    }
    json kinds = json::array();
    for (const AnomalyKind& k : report.kinds)
        kinds.push_back({{"id", k.id}, {"label", k.label}, {"ranges", k.ranges}, {"windows", k.windows}});
    json counters = json::array();
    for (const CounterRange& c : report.counters)
        counters.push_back({{"series", c.series}, {"unit", c.unit}, {"start_s", c.start_s}, {"end_s", c.end_s},
                            {"z", number_or_null(c.z)}, {"expected", number_or_null(c.expected)},
                            {"peak", number_or_null(c.peak)}});
    doc_["anomalies"] = {{"window_s", static_cast<double>(report.window_ns) / 1e9},
                         {"judged", report.judged},
                         {"anomalous", report.anomalous},
                         {"ranges", std::move(ranges)},
                         {"kinds", std::move(kinds)},
                         {"counters", std::move(counters)},
                         {"notes", report.notes}};
}

void ReportDocument::set_unwind(const UnwindReportSummary& u) {
    json rows = json::array();
    for (const auto& r : u.rows) rows.push_back({{"binary", r.binary}, {"pct", r.pct}, {"what", r.what}, {"fix", r.fix}});
    doc_["unwind"] = {{"stacks", u.stacks},
                      {"complete_pct", u.complete_pct},
                      {"truncated_pct", u.truncated_pct},
                      {"failed_pct", u.failed_pct},
                      {"fp_fallback_pct", u.fp_fallback_pct},
                      {"rows", std::move(rows)}};
}

void ReportDocument::set_diff(const DiffPageInput& in) {
    const DiffResult& d = *in.result;
    json table = json::array();
    for (const FunctionDiff& f : d.functions) {
        if (table.size() >= 60) break;
        table.push_back({{"function", f.name},
                         {"a_share", f.total.before},
                         {"b_share", f.total.after},
                         {"delta_pp", 100 * f.total.change()},
                         {"a_self", f.self.before},
                         {"b_self", f.self.after},
                         {"p", f.total.p_adjusted},
                         {"significant", f.total.significant || f.self.significant}});
    }
    json diff = {{"a", in.base_name},          {"b", in.new_name},
                 {"unit", d.type.unit},        {"type", d.type.type},
                 {"a_total", d.base_value},    {"b_total", d.new_value},
                 {"a_samples", d.base_count},  {"b_samples", d.new_count},
                 {"table", std::move(table)}, {"verdict", in.verdict},
                 {"method", d.method()}};
    add_diff_stacks(*in.tree, diff, "a_values", "b_values");
    doc_["diff"] = std::move(diff);
}

}  // namespace kiln::analyzer
