// The DWARF unwinding health report of an analysis: how many user stacks were complete,
// truncated or failed, and per binary where stacks stopped, why, and what fixes it. Printed
// by `kiln analyze` and shown in the HTML report.
#pragma once

#include "analyzer/analyze.h"
#include "analyzer/report/report_document.h"

namespace kiln::tools {

analyzer::UnwindReportSummary unwind_summary(const analyzer::Analysis& a);

// To stderr; nothing when no stack was DWARF-unwound.
void print_unwind_report(const analyzer::UnwindReportSummary& u);

}  // namespace kiln::tools
