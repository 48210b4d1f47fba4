// Candidate streaming detectors for counter series, measured on NAB against the analyzer's
// SeriesDetector (see README.md, "How the anomaly detectors were chosen").
#pragma once

#include <string>
#include <vector>

namespace kiln::nab {

std::vector<std::string> candidate_list();
// One anomaly score in [0, 1] per value; throws std::invalid_argument for an unknown name.
std::vector<double> run_candidate(const std::string& name, const std::vector<double>& values);

}  // namespace kiln::nab
