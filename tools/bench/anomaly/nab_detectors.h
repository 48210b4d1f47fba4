// The streaming detectors tried on NAB: each turns a series into one anomaly score per value in
// [0, 1], in one pass. "kiln" is the analyzer's SeriesDetector (what `kiln analyze --view
// anomalies` runs on counter series); the others are the candidates it was chosen against.
#pragma once

#include <string>
#include <vector>

namespace kiln::nab {

std::vector<std::string> detector_list();
std::string detector_names();  // comma-separated, for --help

std::vector<double> detect(const std::string& detector, const std::vector<double>& values);

// Runs the detector over every data file named in the corpus's windows file and writes
// <out>/<detector>/<group>/<detector>_<file>.csv.
void run_corpus(const std::string& corpus_dir, const std::string& out_dir, const std::string& detector);

}  // namespace kiln::nab
