#include "tools/bench/anomaly/nab_detectors.h"

#include "analyzer/anomaly/series_detector.h"
#include "tools/bench/anomaly/candidate_detectors.h"
#include "tools/bench/anomaly/nab_corpus.h"
#include "tools/bench/anomaly/nab_files.h"

namespace kiln::nab {

namespace {

std::vector<double> run_kiln(const std::vector<double>& values) {
    analyzer::SeriesDetector d(analyzer::Sensitivity::kNormal);
    std::vector<double> out;
    out.reserve(values.size());
    for (double v : values) out.push_back(d.judge(v).score);
    return out;
}

}  // namespace

std::vector<std::string> detector_list() {
    std::vector<std::string> names = {"kiln"};
    for (const std::string& n : candidate_list()) names.push_back(n);
    return names;
}

std::string detector_names() {
    std::string s;
    for (const std::string& n : detector_list()) s += (s.empty() ? "" : ", ") + n;
    return s;
}

std::vector<double> detect(const std::string& detector, const std::vector<double>& values) {
    if (detector == "kiln") return run_kiln(values);
    return run_candidate(detector, values);
}

void run_corpus(const std::string& corpus_dir, const std::string& out_dir, const std::string& detector) {
    for (const auto& entry : read_corpus_windows(windows_path(corpus_dir))) {
        const std::string& name = entry.first;
        const SeriesFile f = read_series_csv(corpus_dir + "/data/" + name, true, false);
        write_results_csv(results_path(out_dir, detector, name), f, detect(detector, f.values));
    }
}

}  // namespace kiln::nab
