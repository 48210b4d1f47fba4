// kiln diff's module: name matching across builds, the differ and its gate, pprof input
// (kiln's own and a Go-shaped one), the differential tree and pprof diff.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "analyzer/diff/diff_input.h"
#include "analyzer/diff/diff_outputs.h"
#include "analyzer/diff/differ.h"
#include "analyzer/diff/pprof_reader.h"
#include "analyzer/diff/diff_report.h"
#include "analyzer/output/pprof_writer.h"
#include "profile.pb.h"

namespace kiln::analyzer {
namespace {

// A profile of one process: stacks of function names (root first) with sample counts; each
// sample worth 1 ms of cpu. base_address shifts every address, inline_leaf folds the leaf
// into its caller's location as an inlined line, comm names the process.
Profile profile_of(const std::vector<std::pair<std::vector<std::string>, int64_t>>& stacks, uint64_t base_address,
                   const std::string& comm, bool inline_leaf = false) {
    Profile p;
    p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    p.default_sample_type = 1;
    p.mappings.push_back({base_address, base_address + 0x100000, 0, "/bin/" + comm, "", true});
    p.mappings.push_back({0x8000000000000000ull, ~0ull, 0, "[kernel.kallsyms]", "", true});
    auto function = [&](const std::string& name) {
        for (uint32_t i = 0; i < p.functions.size(); ++i)
            if (p.functions[i].name == name) return i;
        p.functions.push_back({name, name, "", 0});
        return static_cast<uint32_t>(p.functions.size() - 1);
    };
    for (const auto& [names, n] : stacks) {
        Sample s;
        for (size_t i = names.size(); i-- > 0;) {
            Location loc;
            const bool kernel = names[i].ends_with("_[k]");
            loc.mapping = kernel ? 2 : 1;
            loc.address = (kernel ? p.mappings[1].start : base_address) + 0x10 * (p.locations.size() + 1);
            loc.kind = kernel ? FrameKind::Kernel : FrameKind::User;
            loc.lines.push_back({function(kernel ? names[i].substr(0, names[i].size() - 4) : names[i]), 0});
            if (inline_leaf && i + 1 == names.size() && i > 0 && !kernel) {
                loc.lines.push_back({function(names[i - 1]), 0});  // leaf inlined into its caller
                --i;
            }
            p.locations.push_back(loc);
            s.locations.push_back(static_cast<uint32_t>(p.locations.size() - 1));
        }
        s.values = {n, n * 1000000};
        s.labels.push_back({"comm", comm, 0});
        p.samples.push_back(s);
    }
    return p;
}

std::vector<std::string> names_of(const NamedStack& s) {
    std::vector<std::string> out;
    for (const auto& f : s.frames) out.push_back(f.name);
    return out;
}

TEST(DiffNames, CloneSuffixesGoAndOrdinaryDotsStay) {
    EXPECT_EQ(normalize_function_name("render.constprop.0"), "render");
    EXPECT_EQ(normalize_function_name("render.isra.0.cold"), "render");
    EXPECT_EQ(normalize_function_name("parse.part.12"), "parse");
    EXPECT_EQ(normalize_function_name("helper.lto_priv.0"), "helper");
    EXPECT_EQ(normalize_function_name("main.work"), "main.work");  // a Go function
    EXPECT_EQ(normalize_function_name("std::vector<int>::push_back(int const&)"), "std::vector<int>::push_back(int const&)");
    EXPECT_EQ(normalize_function_name("cold"), "cold");
}

TEST(DiffNames, TwoBuildsMatchByNameNotAddressOrBinaryName) {
    const Profile a = profile_of({{{"main", "run", "render.constprop.0", "memcpy_[k]"}, 5}}, 0x400000, "twin");
    const Profile b = profile_of({{{"main", "run", "render", "memcpy_[k]"}, 7}}, 0x55550000, "twin_o1");
    const ProfileRun ra = run_from_profile(a, "a", "cpu"), rb = run_from_profile(b, "b", "cpu");
    ASSERT_EQ(ra.stacks.size(), 1u);
    ASSERT_EQ(rb.stacks.size(), 1u);
    const std::vector<std::string> want{"main", "run", "render", "memcpy_[k]"};
    EXPECT_EQ(names_of(ra.stacks[0]), want) << "no process frame, clone suffix gone, kernel marked";
    EXPECT_EQ(names_of(rb.stacks[0]), want);
    // render inlined into run (one location, two lines) is the same stack as render called.
    const ProfileRun rc = run_from_profile(profile_of({{{"main", "run", "render"}, 2}}, 0x1000, "twin_o3", true), "c", "cpu");
    ASSERT_EQ(rc.stacks.size(), 1u);
    EXPECT_EQ(names_of(rc.stacks[0]), (std::vector<std::string>{"main", "run", "render"}));
    EXPECT_TRUE(rc.stacks[0].frames[2].inlined);
    EXPECT_EQ(ra.type.type, "cpu");
    EXPECT_EQ(ra.total_value, 5000000);
    EXPECT_EQ(ra.total_count, 5);
    EXPECT_TRUE(ra.counts_exact);
}

// BASE: run → a 100, run → b 100; NEW: run → a 100, run → b 200.
std::vector<ProfileRun> runs_of(int64_t a, int64_t b, const std::string& name) {
    return {run_from_profile(profile_of({{{"main", "run", "a"}, a}, {{"main", "run", "b"}, b}}, 0x1000, name), name, "cpu")};
}

const FunctionDiff* find(const DiffResult& d, const std::string& name) {
    for (const auto& f : d.functions)
        if (f.name == name) return &f;
    return nullptr;
}

TEST(Differ, DoubledFunctionIsASignificantRegressionAndFailsTheGate) {
    auto d = diff_runs(runs_of(1000, 1000, "base"), runs_of(1000, 2000, "new"), {});
    ASSERT_TRUE(d) << d.error().message;
    const FunctionDiff* b = find(*d, "b");
    ASSERT_NE(b, nullptr);
    EXPECT_DOUBLE_EQ(b->total.before, 0.5);
    EXPECT_NEAR(b->total.after, 2.0 / 3, 1e-12);
    EXPECT_NEAR(b->total.relative_percent(), 100.0 / 3, 1e-9);
    EXPECT_TRUE(b->total.significant);
    EXPECT_TRUE(b->self.significant);
    EXPECT_LT(b->total.p_adjusted, 1e-10);
    EXPECT_EQ(d->tests, 6u);  // a, b × self, total; main, run total (their self share is 0: not tested)
    const FunctionDiff* m = find(*d, "main");
    EXPECT_DOUBLE_EQ(m->total.p, 1.0) << "main holds everything on both sides";
    const GateResult g = apply_gate(*d, {10, 0.01});
    EXPECT_TRUE(g.failed);
    ASSERT_EQ(g.culprits.size(), 1u);
    EXPECT_EQ(g.culprits[0]->name, "b");
    EXPECT_FALSE(apply_gate(*d, {40, 0.01}).failed) << "+33% is below a 40% threshold";

    std::vector<ReportEntry> reg, imp;
    classify_changes(*d, reg, imp);
    ASSERT_EQ(reg.size(), 1u);
    EXPECT_EQ(reg[0].function->name, "b");
    ASSERT_EQ(imp.size(), 1u);
    EXPECT_EQ(imp[0].function->name, "a");
    std::ostringstream md, js;
    DiffReportOptions ro;
    ro.gate = &g;
    write_diff_markdown(*d, ro, md);
    write_diff_json(*d, ro, js);
    EXPECT_NE(md.str().find("**Gate failed**"), std::string::npos) << md.str();
    EXPECT_NE(md.str().find("| `b` | 50.00% | 66.67% | +16.67 pts (+33.3%)"), std::string::npos) << md.str();
    EXPECT_NE(js.str().find("\"culprits\": [\n      \"b\"\n    ]"), std::string::npos) << js.str();
}

TEST(Differ, SmallNoiseStaysQuietAndSmallFunctionsDoNotGate) {
    // 1000 vs 1040 samples of b (+4% relative, within sampling noise).
    auto d = diff_runs(runs_of(1000, 1000, "base"), runs_of(1000, 1040, "new"), {});
    ASSERT_TRUE(d);
    EXPECT_FALSE(find(*d, "b")->total.significant);
    EXPECT_FALSE(apply_gate(*d, {1, 0.01}).failed);
    // A function under the minimum share never fails the gate, however it grows.
    auto tiny = diff_runs(runs_of(100000, 10, "base"), runs_of(100000, 500, "new"), {});
    ASSERT_TRUE(tiny);
    EXPECT_TRUE(find(*tiny, "b")->total.significant);
    EXPECT_TRUE(apply_gate(*tiny, {10, 0.001}).failed);
    EXPECT_FALSE(apply_gate(*tiny, {10, 0.01}).failed) << "b is 0.5% of NEW";
    // Under 0.1% of all samples a change is not tested at all (independent filtering).
    auto rare = diff_runs(runs_of(100000, 10, "base"), runs_of(100000, 40, "new"), {});
    ASSERT_TRUE(rare);
    EXPECT_DOUBLE_EQ(find(*rare, "b")->total.p_adjusted, 1.0);
    EXPECT_LT(find(*rare, "b")->total.p, 1e-4);
    EXPECT_EQ(rare->tests, 4u);
}

TEST(Differ, FunctionNewToNewGrowsWithoutBound) {
    std::vector<ProfileRun> now{run_from_profile(
        profile_of({{{"main", "run", "a"}, 1000}, {{"main", "run", "b"}, 1000}, {{"main", "leak"}, 200}}, 0, "x"), "n",
        "cpu")};
    auto d = diff_runs(runs_of(1000, 1000, "base"), now, {});
    ASSERT_TRUE(d);
    const FunctionDiff* leak = find(*d, "leak");
    ASSERT_NE(leak, nullptr);
    EXPECT_EQ(leak->total.before, 0);
    EXPECT_TRUE(std::isinf(leak->total.relative_percent()));
    const GateResult g = apply_gate(*d, {10, 0.01});
    ASSERT_TRUE(g.failed);
    EXPECT_EQ(g.culprits[0]->name, "leak");
}

TEST(Differ, ProfilesOfDifferentKindsDoNotCompare) {
    std::vector<ProfileRun> base = runs_of(10, 10, "base");
    std::vector<ProfileRun> now = runs_of(10, 10, "new");
    now[0].type = {"alloc_space", "bytes"};
    auto d = diff_runs(base, now, {});
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("alloc_space"), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("base"), std::string::npos) << d.error().message;
    now = runs_of(10, 10, "new");
    now[0].view = "offcpu";
    EXPECT_FALSE(diff_runs(base, now, {}));
    EXPECT_FALSE(diff_runs({}, now, {}));
}

TEST(DiffPprof, OwnPprofRoundTripsToTheSameStacks) {
    const Profile p = profile_of(
        {{{"main", "run", "render"}, 3}, {{"main", "read", "clear_page_[k]"}, 2}}, 0x400000, "twin", true);
    auto bytes = encode_pprof(p);
    ASSERT_TRUE(bytes);
    auto back = decode_pprof(*bytes, "mem.pb.gz");
    ASSERT_TRUE(back) << back.error().message;
    const ProfileRun a = run_from_profile(p, "a", "cpu"), b = run_from_profile(*back, "b", "pprof");
    ASSERT_EQ(b.stacks.size(), 2u);
    EXPECT_EQ(names_of(b.stacks[0]), names_of(a.stacks[0]));
    EXPECT_EQ(names_of(b.stacks[1]), (std::vector<std::string>{"main", "read", "clear_page_[k]"}));
    EXPECT_EQ(b.type.type, "cpu");
    EXPECT_EQ(b.total_count, 5);

    std::vector<uint8_t> junk{0x1f, 0x8b, 1, 2, 3};
    auto bad = decode_pprof(junk, "junk.pb.gz");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("junk.pb.gz"), std::string::npos);
    std::vector<uint8_t> text{'h', 'e', 'l', 'l', 'o'};
    EXPECT_FALSE(decode_pprof(text, "hello"));
}

// The shape Go's runtime/pprof writes: no default_sample_type (the last type, cpu, is shown),
// sparse ids, a Go binary mapping, Go function names, the period in nanoseconds.
TEST(DiffPprof, GoShapedProfileIsRead) {
    namespace pb = perftools::profiles;
    pb::Profile g;
    for (const char* s : {"", "samples", "count", "cpu", "nanoseconds", "main.main", "main.work", "runtime.main",
                          "/tmp/go-build/exe/app", "main.go"})
        g.add_string_table(s);
    auto vt = g.add_sample_type();
    vt->set_type(1), vt->set_unit(2);
    vt = g.add_sample_type();
    vt->set_type(3), vt->set_unit(4);
    g.mutable_period_type()->set_type(3), g.mutable_period_type()->set_unit(4);
    g.set_period(10000000);
    auto m = g.add_mapping();
    m->set_id(1), m->set_memory_start(0x400000), m->set_memory_limit(0x500000), m->set_filename(8);
    m->set_has_functions(true);
    const uint64_t fids[] = {17, 29, 33};
    for (int i = 0; i < 3; ++i) {
        auto f = g.add_function();
        f->set_id(fids[i]), f->set_name(5 + i), f->set_system_name(5 + i), f->set_filename(9);
        auto l = g.add_location();
        l->set_id(100 + i), l->set_mapping_id(1), l->set_address(0x401000 + 0x100 * i);
        l->add_line()->set_function_id(fids[i]);
    }
    // runtime.main → main.main → main.work: 7 samples, 70 ms; runtime.main → main.main: 3.
    auto s = g.add_sample();
    for (uint64_t id : {101, 100, 102}) s->add_location_id(id);
    s->add_value(7), s->add_value(70000000);
    s = g.add_sample();
    for (uint64_t id : {100, 102}) s->add_location_id(id);
    s->add_value(3), s->add_value(30000000);
    std::string raw;
    ASSERT_TRUE(g.SerializeToString(&raw));
    std::vector<uint8_t> bytes(raw.begin(), raw.end());  // uncompressed: accepted as well
    auto p = decode_pprof(bytes, "go.pprof");
    ASSERT_TRUE(p) << p.error().message;
    const ProfileRun r = run_from_profile(*p, "go.pprof", "pprof");
    EXPECT_EQ(r.type.type, "cpu");
    EXPECT_EQ(r.total_value, 100000000);
    EXPECT_EQ(r.total_count, 10);
    ASSERT_EQ(r.stacks.size(), 2u);
    EXPECT_EQ(names_of(r.stacks[0]), (std::vector<std::string>{"runtime.main", "main.main", "main.work"}));

    // A dangling function id is an error naming it.
    g.mutable_location(0)->mutable_line(0)->set_function_id(999);
    ASSERT_TRUE(g.SerializeToString(&raw));
    auto bad = decode_pprof(std::vector<uint8_t>(raw.begin(), raw.end()), "go.pprof");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("999"), std::string::npos) << bad.error().message;
}

// Values whose totals do not fit in 64 bits (pprof_reader_fuzzer's find: kiln diff summed
// them with signed overflow) are refused where they enter, and pooled runs are checked too.
TEST(DiffPprof, TotalsPast64BitsAreErrorsNotOverflows) {
    Profile p = profile_of({{{"main", "a"}, 1}, {{"main", "b"}, 1}}, 0x1000, "big");
    for (auto& s : p.samples) s.values[1] = std::numeric_limits<int64_t>::max() - 1;
    auto bytes = encode_pprof(p);
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto back = decode_pprof(*bytes, "big.pb.gz");
    ASSERT_FALSE(back) << "two samples of 2^63 - 2 ns were accepted";
    EXPECT_NE(back.error().message.find("big.pb.gz"), std::string::npos) << back.error().message;
    EXPECT_NE(back.error().message.find("64 bits"), std::string::npos) << back.error().message;

    // Each alone is fine; two of them pooled on one side are not.
    p.samples.pop_back();
    auto one = encode_pprof(p);
    ASSERT_TRUE(one);
    auto single = decode_pprof(*one, "one.pb.gz");
    ASSERT_TRUE(single) << single.error().message;
    const ProfileRun r = run_from_profile(*single, "one.pb.gz", "pprof");
    EXPECT_EQ(r.total_value, std::numeric_limits<int64_t>::max() - 1);
    auto d = diff_runs({r, r}, {r}, {});
    ASSERT_FALSE(d) << "pooled totals past 2^63 were accepted";
    EXPECT_NE(d.error().message.find("64 bits"), std::string::npos) << d.error().message;
    // One run a side compares, and the diff pprof's scaled base stays in range.
    ASSERT_TRUE(diff_runs({r}, {r}, {}));
    const Profile diff = build_diff_pprof({r}, {r});
    ASSERT_EQ(diff.samples.size(), 2u);
    // BASE scaled to NEW's total (2^63 - 2 as a double is 2^63): negated, just under NEW's value.
    const int64_t now_value = diff.samples[0].values[0], base_value = diff.samples[1].values[0];
    EXPECT_EQ(now_value, std::numeric_limits<int64_t>::max() - 1);
    EXPECT_LT(base_value, 0);
    EXPECT_LE(-base_value, now_value);
    EXPECT_GE(-base_value, now_value - 2048);
}

TEST(DiffPprof, LoadRunRejectsMissingJunkAndEmptyFiles) {
    char dir[] = "/tmp/kiln_diff_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string d = dir;
    auto missing = load_run(d + "/missing.kiln", {});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("missing.kiln"), std::string::npos);
    std::ofstream(d + "/junk") << "neither a recording nor a profile\n";
    auto junk = load_run(d + "/junk", {});
    ASSERT_FALSE(junk);
    EXPECT_NE(junk.error().message.find("neither a kiln recording"), std::string::npos) << junk.error().message;
    Profile empty;
    empty.sample_types = {{"samples", "count"}};
    ASSERT_TRUE(write_pprof(empty, d + "/empty.pb.gz"));
    auto e = load_run(d + "/empty.pb.gz", {});
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("empty"), std::string::npos) << e.error().message;
    std::filesystem::remove_all(d);
}

TEST(DiffOutputs, TreeHasNewShapeWithBaseValuesAndPprofNegatesBase) {
    std::vector<ProfileRun> base{run_from_profile(
        profile_of({{{"main", "run", "a"}, 100}, {{"main", "run", "b"}, 100}, {{"main", "gone"}, 50}}, 0, "x"), "b", "cpu")};
    std::vector<ProfileRun> now = runs_of(100, 300, "new");
    const FlameNode t = build_diff_tree(base, now);
    EXPECT_EQ(t.total, 400000000);
    EXPECT_EQ(t.base, 250000000);
    ASSERT_EQ(t.children.size(), 1u);
    const FlameNode& run = t.children[0].children[0];
    EXPECT_EQ(run.name, "run");
    EXPECT_EQ(run.base, 200000000);
    ASSERT_EQ(run.children.size(), 2u);
    EXPECT_EQ(run.children[1].name, "b");
    EXPECT_EQ(run.children[1].total, 300000000);
    EXPECT_EQ(run.children[1].base, 100000000);
    EXPECT_EQ(t.children[0].children.size(), 1u) << "gone is BASE-only: not in NEW's shape";

    const Profile p = build_diff_pprof(base, now);
    int64_t plus = 0, minus = 0;
    size_t labelled = 0;
    for (const Sample& s : p.samples) {
        (s.values[0] > 0 ? plus : minus) += s.values[0];
        labelled += !s.labels.empty() && s.labels[0].key == "pprof::base";
    }
    EXPECT_EQ(plus, 400000000);
    EXPECT_EQ(minus, -400000000) << "BASE scaled to NEW's total, negated";
    EXPECT_EQ(labelled, 3u);
    EXPECT_TRUE(encode_pprof(p)) << "a consistent profile";
}

}  // namespace
}  // namespace kiln::analyzer
