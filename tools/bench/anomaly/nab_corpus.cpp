#include "tools/bench/anomaly/nab_corpus.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace kiln::nab {

std::string windows_path(const std::string& corpus_dir) { return corpus_dir + "/labels/combined_windows.json"; }

std::string results_path(const std::string& results_dir, const std::string& detector, const std::string& name) {
    const size_t slash = name.rfind('/');
    const std::string group = slash == std::string::npos ? "" : name.substr(0, slash + 1);
    const std::string file = slash == std::string::npos ? name : name.substr(slash + 1);
    return results_dir + "/" + detector + "/" + group + detector + "_" + file;
}

CorpusResults load_results(const std::string& corpus_dir, const std::string& results_dir, const std::string& detector) {
    CorpusResults out;
    for (const auto& [name, windows] : read_corpus_windows(windows_path(corpus_dir))) {
        const std::string path = results_path(results_dir, detector, name);
        const SeriesFile f = read_series_csv(path, false, true);
        const std::vector<RowWindow> rows = rows_of_windows(f.time_us, windows, path);
        out.all.add_file(f.anomaly_scores, rows);
        out.files.push_back({name, CorpusSweep()});
        out.files.back().sweep.add_file(f.anomaly_scores, rows);
    }
    return out;
}

std::vector<ProfileScore> score_profiles(const CorpusSweep& sweep, const std::map<std::string, double>& fixed) {
    std::vector<ProfileScore> out;
    for (const Profile& p : kProfiles) {
        ProfileScore s;
        s.profile = &p;
        const auto it = fixed.find(p.name);
        s.best = it == fixed.end() ? sweep.best(p.costs) : sweep.at(p.costs, it->second);
        s.normalized = sweep.normalize(p.costs, s.best.score);
        out.push_back(s);
    }
    return out;
}

std::map<std::string, double> read_nab_thresholds(const std::string& path, const std::string& detector) {
    std::ifstream in(path);
    if (!in) throw FileError(path + ": cannot open");
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains(detector)) throw FileError(path + ": no thresholds for " + detector);
    std::map<std::string, double> out;
    for (const auto& [profile, entry] : j[detector].items())
        if (entry.contains("threshold") && entry["threshold"].is_number())
            out[profile] = entry["threshold"].get<double>();
    return out;
}

}  // namespace kiln::nab
