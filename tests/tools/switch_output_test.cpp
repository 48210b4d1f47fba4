// `kiln record --switch-output`: one complete recording per period or size, each symbolizing
// on its own (the names and maps of processes started in an earlier file are carried over),
// the oldest deleted past --max-files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

std::vector<std::string> recordings_in(const std::string& dir, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().filename().string().rfind(prefix, 0) == 0 && e.path().extension() == ".kiln") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST(SwitchOutput, APeriodMakesCompleteRecordingsAndMaxFilesKeepsTheNewest) {
    TempDir tmp;
    auto r = run_kiln({"record", "-F", "499", "--switch-output", "1s", "--max-files", "3", "-o", tmp.path("run.kiln"),
                       "--", workload("spinner_fp"), "4.5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // One "wrote" line per file ended for the next; the summary counts them all.
    const size_t switched = count_of(r.err, "kiln: wrote ");
    EXPECT_GE(switched, 3u) << r.err;
    EXPECT_NE(r.err.find("kiln record: " + std::to_string(switched + 1) + " files"), std::string::npos) << r.err;
    const auto files = recordings_in(tmp.dir(), "run-");
    ASSERT_EQ(files.size(), 3u) << r.err;
    uint64_t total = 0;
    for (const auto& f : files) {
        const auto info = info_json(f);
        EXPECT_TRUE(info["complete"].get<bool>()) << f;
        const double seconds = static_cast<double>(info["duration_ns"].get<uint64_t>()) / 1e9;
        EXPECT_LT(seconds, 1.6) << f;
        uint64_t spinner = 0;
        for (const auto& p : info["processes"])
            if (p["name"] == "spinner_fp") spinner += p["samples"].get<uint64_t>();
        total += info["samples"].get<uint64_t>();
        // Two spinning threads at 499 Hz: up to ~1000 samples a second, fewer on a machine whose
        // CPUs are busy with other work (114 in 0.5 s was seen beside a build); each named by
        // the maps that came in the first file only.
        if (seconds > 0.5) {
            EXPECT_GT(spinner, 20u) << f << "\n" << info.dump();
        }
        auto folded = run_kiln({"analyze", f, "--folded", "-"});
        EXPECT_EQ(folded.exit_code, 0) << folded.err;
        EXPECT_NE(folded.out.find("spinner_fp;"), std::string::npos) << f;
        EXPECT_NE(folded.out.find("spin_until_stop"), std::string::npos) << f << "\n" << folded.out.substr(0, 1000);
    }
    EXPECT_GT(total, 0u);
    // Every file but the last ended for the next; the last when the command exited.
    EXPECT_EQ(info_json(files[0])["stopped_by"], "--switch-output started the next file");
    EXPECT_EQ(info_json(files.back())["stopped_by"], "the command exited");
}

TEST(SwitchOutput, ASizeMakesFilesOfAboutThatSize) {
    TempDir tmp;
    // How fast 1 MiB fills depends on the CPU the spinner gets (a loaded machine gives it less):
    // the recording runs until a third file has started, so two are whole, then is stopped.
    const pid_t spinner = spawn({workload("spinner_fp"), "120"});
    const std::string log = tmp.path("record.log");
    const pid_t recorder = spawn({kiln_bin(), "record", "-F", "2999", "-g", "dwarf", "--switch-output", "1M", "-o",
                                  tmp.path("big.data"), "-p", std::to_string(spinner)},
                                 log);
    auto data_files = [&tmp] {
        std::vector<std::string> data;
        for (const auto& e : std::filesystem::directory_iterator(tmp.dir()))
            if (e.path().extension() == ".data") data.push_back(e.path());
        std::sort(data.begin(), data.end());
        return data;
    };
    const bool third = wait_until([&] { return data_files().size() >= 3; }, 90);
    kill(recorder, SIGINT);
    const int status = wait_for(recorder);
    kill(-spinner, SIGKILL);
    wait_for(spinner);
    ASSERT_TRUE(third) << read_text(log);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(log);
    EXPECT_TRUE(recordings_in(tmp.dir(), "big-").empty());  // .data, not .kiln
    const auto data = data_files();
    ASSERT_GE(data.size(), 3u) << read_text(log);
    for (size_t i = 0; i + 1 < data.size(); ++i) {
        // Switched after the drain that passed 1 MiB: at most a chunk (2 MiB raw) more.
        EXPECT_GE(std::filesystem::file_size(data[i]), 1u << 20) << data[i];
        EXPECT_LT(std::filesystem::file_size(data[i]), 4u << 20) << data[i];
    }
    for (const auto& f : data) EXPECT_TRUE(info_json(f)["complete"].get<bool>()) << f;
}

TEST(SwitchOutput, BadFlagsAreClearErrors) {
    TempDir tmp;
    auto no_switch = run_kiln({"record", "--max-files", "2", "-o", tmp.path("x.kiln"), "--", "/bin/true"});
    EXPECT_EQ(no_switch.exit_code, 2);
    EXPECT_NE(no_switch.err.find("--max-files needs --switch-output"), std::string::npos) << no_switch.err;
    auto short_period = run_kiln({"record", "--switch-output", "10ms", "-o", tmp.path("x.kiln"), "--", "/bin/true"});
    EXPECT_EQ(short_period.exit_code, 2);
    EXPECT_NE(short_period.err.find("at least 1s"), std::string::npos) << short_period.err;
    auto bad = run_kiln({"record", "--switch-output", "often", "-o", tmp.path("x.kiln"), "--", "/bin/true"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--switch-output often"), std::string::npos) << bad.err;
}

}  // namespace
