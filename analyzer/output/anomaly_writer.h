// The anomalies view's report: JSON (the documented keys), Markdown and plain text.
#pragma once

#include <ostream>
#include <string>

#include "analyzer/anomaly/anomaly_report.h"

namespace kiln::analyzer {

void write_anomalies_json(const AnomalyReport& r, std::ostream& out);
void write_anomalies_markdown(const AnomalyReport& r, const std::string& title, std::ostream& out);
void write_anomalies_text(const AnomalyReport& r, std::ostream& out);

}  // namespace kiln::analyzer
