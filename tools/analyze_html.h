// `kiln analyze FILE --html P` (and DIR/report.html with -o DIR): every profile view the
// recording supports, the heat map of its sample view per 20 ms, the counter series, the
// anomalies view's ranges with their differential graphs, the unwinding report and the
// recording's summary, in one self-contained page (analyzer/report/).
#pragma once

#include <string>
#include <vector>

#include "analyzer/analyze.h"

namespace kiln::tools {

struct HtmlReportArgs {
    std::string file;     // the recording
    std::string path;     // the page to write ("-": standard output)
    std::string command;  // the command line, shown in the page
    analyzer::AnalyzeOptions analyze;  // filters (the profile views and the heat map) and binary lookup
};

// "" when written (path appended to written), else what failed.
std::string write_html_report(const HtmlReportArgs& args, std::vector<std::string>& written);

}  // namespace kiln::tools
