// The report of `kiln diff`: significant regressions and improvements with before, after,
// change and confidence, the gate's verdict and the method. Markdown for a pull-request
// comment, JSON for machines.
//
// JSON shape: {"type": {"type", "unit"}, "base"/"new": {"sources": [...], "value", "samples"},
// "alpha", "correction", "tests", "method", "gate": null | {"fail_above_percent", "min_share",
// "failed", "culprits": [names]}, "regressions"/"improvements": [{"name", "confidence",
// "self"/"total": {"before", "after", "change", "relative_percent" (null: new function), "p",
// "p_adjusted", "significant"}}], "functions": every function compared, as {"name", "self",
// "total"}, largest change of total share first}. Shares are fractions (0..1).
#pragma once

#include <ostream>

#include "analyzer/diff/differ.h"

namespace kiln::analyzer {

struct DiffReportOptions {
    size_t max_rows = 30;             // per table in Markdown (JSON lists all)
    const GateResult* gate = nullptr;  // null: no gate was asked for
};

// A function is listed when its self or total change is significant; it is a regression
// when that change (total if significant, else self) is growth.
struct ReportEntry {
    const FunctionDiff* function = nullptr;
    double confidence = 0;  // 1 - the smaller adjusted p of its significant changes
};
void classify_changes(const DiffResult& d, std::vector<ReportEntry>& regressions, std::vector<ReportEntry>& improvements);

void write_diff_markdown(const DiffResult& d, const DiffReportOptions& o, std::ostream& out);
void write_diff_json(const DiffResult& d, const DiffReportOptions& o, std::ostream& out);

}  // namespace kiln::analyzer
