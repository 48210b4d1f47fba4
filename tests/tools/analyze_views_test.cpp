// The command line reads the analyzer's view registry: `kiln analyze --help` lists every view
// with its description and unit, and `-o DIR` writes exactly the views the recording holds
// data for.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "analyzer/views/view_registry.h"
#include "formats/recording_reader.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

}  // namespace

TEST(Analyze, HelpListsEveryRegistryView) {
    auto help = run_kiln({"analyze", "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.err;
    const size_t view_option = help.out.find("--view");
    ASSERT_NE(view_option, std::string::npos) << help.out;
    const std::string view_line = help.out.substr(view_option, help.out.find('\n', view_option) - view_option);
    const size_t views = help.out.find("\nViews");
    ASSERT_NE(views, std::string::npos) << help.out;
    for (const auto& v : kiln::analyzer::view_registry()) {
        const std::string name(v.name);
        EXPECT_NE(view_line.find(" " + name), std::string::npos) << name << " missing from: " << view_line;
        const size_t entry = help.out.find("\n  " + name + " ", views);
        ASSERT_NE(entry, std::string::npos) << name << " missing from:\n" << help.out;
        // Its line and the indented one below it.
        const size_t end = help.out.find('\n', help.out.find('\n', entry + 1) + 1);
        const std::string text = help.out.substr(entry, end - entry);
        EXPECT_NE(text.find(std::string(v.description)), std::string::npos) << text;
        EXPECT_NE(text.find("value: " + std::string(v.unit)), std::string::npos) << text;
    }
}

TEST(Analyze, OutputDirWritesEveryViewTheRecordingSupports) {
    TempDir tmp;
    const std::string rec = tmp.path("offcpu.kiln");
    auto r = run_kiln({"record", "--off-cpu", "-e", "cpu-clock", "-o", rec, "--", workload("offcpu_mix_fp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto reader = kiln::format::RecordingReader::open(rec);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    const auto supported = kiln::analyzer::available_views((*reader)->header());
    EXPECT_EQ(supported, (std::vector<std::string>{"cpu", "offcpu", "hotcold", "wakeup"}));

    auto a = run_kiln({"analyze", rec, "-o", tmp.path("out")});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    std::set<std::string> written;
    for (const auto& f : std::filesystem::directory_iterator(tmp.path("out")))
        if (f.path().extension() == ".folded") written.insert(f.path().stem().string());
    EXPECT_EQ(written, std::set<std::string>(supported.begin(), supported.end()));
    for (const auto& v : supported) EXPECT_NE(a.err.find(v + " view: "), std::string::npos) << a.err;
}

// `-o DIR` analyzes every view in one pass (records decoded, samples parsed and unwound once):
// each view's folded stacks and report are what a run of that view alone gives, on a DWARF
// recording with off-CPU and memory events, where several views share samples.
TEST(Analyze, OnePassForEveryViewGivesWhatEachViewGivesAlone) {
    TempDir tmp;
    const std::string rec = tmp.path("all.kiln");
    auto r = run_kiln({"record", "--off-cpu", "--mem", "-e", "cpu-clock", "-g", "dwarf", "-o", rec, "--",
                       workload("mem_mix_nofp")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto reader = kiln::format::RecordingReader::open(rec);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    const auto supported = kiln::analyzer::available_views((*reader)->header());
    ASSERT_GE(supported.size(), 6u);  // cpu, the memory views, offcpu, hotcold, wakeup

    auto all = run_kiln({"analyze", rec, "-o", tmp.path("out")});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    for (const auto& v : supported) {
        auto alone = run_kiln({"analyze", rec, "--view", v, "--folded", "-"});
        ASSERT_EQ(alone.exit_code, 0) << alone.err;
        EXPECT_EQ(read_text(tmp.path("out/" + v + ".folded")), alone.out) << v;
        // The view's summary line ("cpu view: N samples, M distinct stacks") is the same too.
        const size_t at = alone.err.find(v + " view: ");
        ASSERT_NE(at, std::string::npos) << alone.err;
        const std::string line = alone.err.substr(at, alone.err.find('\n', at) - at);
        EXPECT_NE(all.err.find(line), std::string::npos) << line << "\nnot in:\n" << all.err;
    }
    // The pass's unwinding is reported once, not once per view.
    size_t reports = 0;
    for (size_t at = all.err.find("unwinding (dwarf):"); at != std::string::npos;
         at = all.err.find("unwinding (dwarf):", at + 1))
        ++reports;
    EXPECT_EQ(reports, 1u) << all.err;
}
