// The HTML report's inlined files, embedded at build time (embed_assets.cmake): the page
// template and its style and script (web/), and d3 and d3-flame-graph as installed by
// tools/install-deps (pinned npm versions).
#pragma once

#include <string_view>

namespace kiln::analyzer::report_assets {

extern const std::string_view kPage;        // web/report.html
extern const std::string_view kCss;         // web/report.css
extern const std::string_view kReportModelJs;     // web/report_model.js: data, trees, colours
extern const std::string_view kReportTimelineJs;  // web/report_timeline.js: heat map, counters, anomalies
extern const std::string_view kReportJs;          // web/report.js: flame graph, tables, start
extern const std::string_view kD3;          // d3/dist/d3.min.js
extern const std::string_view kFlameGraph;  // d3-flame-graph/dist/d3-flamegraph.umd.min.js

}  // namespace kiln::analyzer::report_assets
