// kiln-nab: kiln's univariate detectors on the Numenta Anomaly Benchmark.
//   score       a detector's NAB-format results over the corpus, each profile at its best threshold
//   run         runs a detector over every data file, writes NAB-format results, scores them
//   score-file  one results CSV against one windows file at a fixed threshold
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/bench/anomaly/nab_corpus.h"
#include "tools/bench/anomaly/nab_detectors.h"
#include "tools/bench/anomaly/nab_files.h"
#include "tools/bench/anomaly/nab_scoring.h"

namespace {

using namespace kiln::nab;

nlohmann::json json_of(const ThresholdScore& t, const Normalized& n) {
    return {{"score", n.score},     {"threshold", t.threshold},
            {"raw", n.raw},         {"null", n.null_score},
            {"perfect", n.perfect}, {"tp", t.tp},
            {"tn", t.tn},           {"fp", t.fp},
            {"fn", t.fn},           {"windows_found", t.windows_found}};
}

void print_corpus(const std::string& detector, const CorpusResults& r, bool json, bool per_file,
                  const std::map<std::string, double>& fixed = {}) {
    const std::vector<ProfileScore> scores = score_profiles(r.all, fixed);
    if (json) {
        nlohmann::json j = {{"detector", detector}, {"windows", r.all.windows()}};
        for (const ProfileScore& s : scores) j["profiles"][s.profile->name] = json_of(s.best, s.normalized);
        if (per_file)
            for (const FileSweep& f : r.files)
                for (const ProfileScore& s : scores)
                    j["files"][f.name][s.profile->name] = f.sweep.at(s.profile->costs, s.best.threshold).score;
        std::cout << j.dump(2) << '\n';
        return;
    }
    std::printf("%s: %zu windows\n", detector.c_str(), r.all.windows());
    std::printf("%-20s %10s %12s %10s %8s %8s %14s\n", "profile", "score", "threshold", "raw", "null", "perfect",
                "windows found");
    for (const ProfileScore& s : scores)
        std::printf("%-20s %10.2f %12.6g %10.3f %8.1f %8.1f %8zu/%zu\n", s.profile->name, s.normalized.score,
                    s.best.threshold, s.normalized.raw, s.normalized.null_score, s.normalized.perfect,
                    s.best.windows_found, r.all.scorable_windows());
    if (!per_file) return;
    // Each file at the corpus's best threshold of each profile, as NAB's <detector>_<profile>_scores.csv.
    std::printf("\n%-60s", "file");
    for (const ProfileScore& s : scores) std::printf(" %20s", s.profile->name);
    std::printf("\n");
    for (const FileSweep& f : r.files) {
        std::printf("%-60s", f.name.c_str());
        for (const ProfileScore& s : scores)
            std::printf(" %20.6f", f.sweep.at(s.profile->costs, s.best.threshold).score);
        std::printf("\n");
    }
}

int score_file(const std::string& windows_file, const std::string& results_file, double threshold,
               const std::string& profile, double probation, bool json) {
    const SeriesFile f = read_series_csv(results_file, false, true);
    CorpusSweep sweep(probation);
    sweep.add_file(f.anomaly_scores, rows_of_windows(f.time_us, read_file_windows(windows_file), results_file));
    nlohmann::json j = {{"results", results_file},
                        {"windows", sweep.windows()},
                        {"scorable_windows", sweep.scorable_windows()},
                        {"rows", f.anomaly_scores.size()},
                        {"probationary_rows", probationary_rows(f.anomaly_scores.size(), probation)}};
    if (!json)
        std::printf("%zu rows (%zu probationary), %zu windows (%zu scorable), threshold %g\n", f.anomaly_scores.size(),
                    probationary_rows(f.anomaly_scores.size(), probation), sweep.windows(), sweep.scorable_windows(),
                    threshold);
    if (!json)
        std::printf("%-20s %10s %10s %8s %8s %14s %8s\n", "profile", "score", "raw", "null", "perfect", "windows found",
                    "fp rows");
    for (const Profile& p : kProfiles) {
        if (!profile.empty() && profile != p.name) continue;
        const ThresholdScore t = sweep.at(p.costs, threshold);
        const Normalized n = sweep.normalize(p.costs, t.score);
        if (json)
            j["profiles"][p.name] = json_of(t, n);
        else
            std::printf("%-20s %10.2f %10.4f %8.2f %8.2f %8zu/%zu %8zu\n", p.name, n.score, n.raw, n.null_score,
                        n.perfect, t.windows_found, sweep.scorable_windows(), t.fp);
    }
    if (json) std::cout << j.dump(2) << '\n';
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kiln-nab: kiln's univariate anomaly detectors on the Numenta Anomaly Benchmark"};
    app.require_subcommand(1);

    std::string corpus, results, detector = "kiln", out;
    bool json = false, per_file = false;
    CLI::App* score = app.add_subcommand("score", "Score a detector's NAB-format results over the corpus");
    score->add_option("--corpus", corpus, "NAB checkout (data/, labels/)")->required();
    score->add_option("--results", results, "Directory holding <detector>/<group>/<detector>_<file>.csv")->required();
    score->add_option("--detector", detector, "Detector name, as in the results directory")->required();
    score->add_flag("--json", json, "JSON output");
    score->add_flag("--per-file", per_file, "Also each file's raw score at the corpus's thresholds");
    std::string nab_thresholds;
    score->add_option("--nab-thresholds", nab_thresholds,
                      "Score at the detector's thresholds in this NAB config/thresholds.json instead of sweeping");
    double fixed_threshold = -1;
    score->add_option("--threshold", fixed_threshold, "Score every profile at this threshold instead of sweeping");

    CLI::App* run = app.add_subcommand("run", "Run a kiln detector over the corpus, write its results, score them");
    run->add_option("--corpus", corpus, "NAB checkout (data/, labels/)")->required();
    run->add_option("--out", out, "Directory to write <detector>/<group>/<detector>_<file>.csv into")->required();
    run->add_option("--detector", detector, "One of: " + detector_names())->check(CLI::IsMember(detector_list()));
    run->add_flag("--json", json, "JSON output");
    run->add_flag("--per-file", per_file, "Also each file's raw score at the corpus's thresholds");

    std::string windows_file, results_file, profile;
    double threshold = 0.5, probation = kProbationFraction;
    CLI::App* one = app.add_subcommand(
        "score-file",
        "Score one results CSV against one windows file at a fixed threshold. Normalized: 100 (raw - null) / "
        "(perfect - null); null is NAB's null detector at its best (flagging nothing, or every row), perfect "
        "the TP weight per window");
    one->add_option("--windows", windows_file, "{\"NAME\": [[start, end], ...]} or [[start, end], ...]")->required();
    one->add_option("--results", results_file, "CSV with timestamp and anomaly_score columns")->required();
    one->add_option("--threshold", threshold, "A row is a detection when its anomaly_score >= this")
        ->capture_default_str();
    one->add_option("--profile", profile, "Only this profile")
        ->check(CLI::IsMember({"standard", "reward_low_FP_rate", "reward_low_FN_rate"}));
    one->add_option("--probation", probation, "Leading share of rows not scored (NAB: 0.15, at most 750 rows)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    one->add_flag("--json", json, "JSON output");

    CLI11_PARSE(app, argc, argv);
    try {
        if (*score) {
            std::map<std::string, double> fixed;
            if (!nab_thresholds.empty()) fixed = read_nab_thresholds(nab_thresholds, detector);
            if (fixed_threshold >= 0)
                for (const Profile& p : kProfiles) fixed[p.name] = fixed_threshold;
            print_corpus(detector, load_results(corpus, results, detector), json, per_file, fixed);
        } else if (*run) {
            run_corpus(corpus, out, detector);
            print_corpus(detector, load_results(corpus, out, detector), json, per_file);
        } else if (*one) {
            return score_file(windows_file, results_file, threshold, profile, probation, json);
        }
    } catch (const FileError& e) {
        std::fprintf(stderr, "kiln-nab: %s\n", e.what());
        return 1;
    }
    return 0;
}
