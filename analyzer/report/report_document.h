// The data of kiln's HTML report (`kiln analyze --html`, `kiln diff --html`): one JSON document
// the page's script draws everything from; docs/HTML_REPORT.md gives its fields. Frames are
// named once, in a table every stack indexes into; stacks are root first; the heat map is runs
// of (cell, stack, samples), so a range chosen in the page is summed there, without a server.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/anomaly/anomaly_report.h"
#include "analyzer/diff/differ.h"
#include "analyzer/profile/flame_tree.h"
#include "analyzer/profile/window_stacks.h"
#include "analyzer/timeline/timeline.h"

namespace kiln::analyzer {

inline constexpr int kReportSchema = 1;
inline constexpr uint64_t kReportBucketNs = 20'000'000;  // one heat-map cell: FlameScope's 20 ms

// A row of a two-column table: label and value (an empty label continues the row above).
using ReportRow = std::pair<std::string, std::string>;

struct UnwindReportRow {
    std::string binary;
    double pct = 0;     // of the DWARF-unwound user stacks
    std::string what;   // "stopped here: ..." or "unwound with frame pointers ..."
    std::string fix;    // "" when nothing kiln can name fixes it
};

struct UnwindReportSummary {
    uint64_t stacks = 0;
    double complete_pct = 0, truncated_pct = 0, failed_pct = 0, fp_fallback_pct = 0;
    std::vector<UnwindReportRow> rows;
    // -g fp with the stack top (UnwindHealth): the callers the frame-pointer walk skipped that
    // were put back.
    uint64_t fp_callers_added = 0;
};

struct DiffPageInput {
    std::string base_name, new_name;  // the sides' sources, as given
    const DiffResult* result = nullptr;
    const FlameNode* tree = nullptr;  // build_diff_tree: NEW's shape, `base` per path
    std::string verdict;
};

class ReportDocument {
public:
    // kind: "analyze" or "diff".
    ReportDocument(std::string kind, std::string title, std::string file, std::string command, double duration_s);

    void set_info(const std::vector<ReportRow>& rows);
    void add_warning(const std::string& warning);
    // A profile view's merged tree (build_flame_tree): its stacks with their self values.
    void add_view(const std::string& name, const std::string& description, const std::string& unit,
                  const FlameNode& tree);
    // The per-bucket stacks of view (which add_view has added), merged into kReportBucketNs cells.
    void set_timeline(const std::string& view, const WindowedStacks& windows);
    void set_counters(const Timeline& timeline);
    void set_anomalies(const AnomalyReport& report);
    void set_unwind(const UnwindReportSummary& unwind);
    void set_diff(const DiffPageInput& diff);

    const nlohmann::json& document() const { return doc_; }

private:
    uint32_t name_id(const std::string& name, FrameKind kind);
    // Appends a differential tree's stacks (after = self, before = the base value that ends
    // there) to stacks/before/after.
    void add_diff_stacks(const FlameNode& root, nlohmann::json& out, const char* before_key, const char* after_key);

    nlohmann::json doc_;
    std::unordered_map<std::string, uint32_t> name_ids_;
    // Per view added: the stack (name ids, as bytes) → its index in that view's stacks.
    std::unordered_map<std::string, std::unordered_map<std::string, uint32_t>> stack_ids_;
};

}  // namespace kiln::analyzer
