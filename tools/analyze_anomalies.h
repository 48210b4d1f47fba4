// `kiln analyze FILE --view anomalies`: the cpu view's samples counted per window of stacks in
// the one-pass analysis, then the anomaly report (analyzer/anomaly/) as text on stdout, --json,
// or --report P.md|P.json|- (Markdown or JSON by the name's ending).
#pragma once

#include <string>

#include "analyzer/analyze.h"

namespace kiln::tools {

struct AnomalyArgs {
    std::string file;
    std::string window;         // --window DURATION ("" = chosen from the sample rate)
    std::string sensitivity;    // low|normal|high ("" = normal)
    std::string baseline_time;  // --baseline-time A,B
    std::string baseline_file;  // --baseline FILE: a recording of a normal run
    std::string json, report;
    std::string out_dir;        // -o DIR: anomalies.json and anomalies.md
    analyzer::AnalyzeOptions analyze;  // filters and binary lookup, as for the profile views
};

// Exit code: 0, 1 (the recording has no CPU samples, a file could not be written), 2 (bad flags).
int run_anomalies(const AnomalyArgs& args);

}  // namespace kiln::tools
