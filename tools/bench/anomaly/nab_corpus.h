// A detector's results over the NAB corpus, gathered for scoring: the corpus directory holds
// data/<group>/<file>.csv and labels/combined_windows.json; a results directory holds
// <detector>/<group>/<detector>_<file>.csv, as NAB lays them out.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tools/bench/anomaly/nab_files.h"
#include "tools/bench/anomaly/nab_scoring.h"

namespace kiln::nab {

struct FileSweep {
    std::string name;  // relative to data/, e.g. realKnownCause/nyc_taxi.csv
    CorpusSweep sweep;
};

struct CorpusResults {
    CorpusSweep all;
    std::vector<FileSweep> files;
};

std::string windows_path(const std::string& corpus_dir);
std::string results_path(const std::string& results_dir, const std::string& detector, const std::string& name);

// Reads every file named in the corpus's windows file from the detector's results.
CorpusResults load_results(const std::string& corpus_dir, const std::string& results_dir, const std::string& detector);

struct ProfileScore {
    const Profile* profile = nullptr;
    ThresholdScore best;  // the sweep's best threshold and its raw score
    Normalized normalized;
};
// The three profiles, each at its own best threshold over the whole corpus, or at the fixed
// thresholds given by profile name (NAB's config/thresholds.json, to check the port).
std::vector<ProfileScore> score_profiles(const CorpusSweep& sweep, const std::map<std::string, double>& fixed = {});
// A detector's thresholds from NAB's config/thresholds.json, by profile name.
std::map<std::string, double> read_nab_thresholds(const std::string& path, const std::string& detector);

}  // namespace kiln::nab
