// The HTML report's data document and page: stacks through the name table, the heat map's
// runs merged to 20 ms cells, differential stacks, base64 and the assembled page (its data
// decoded back with zlib, as the browser's DecompressionStream does).
#include <zlib.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "analyzer/report/html_page.h"
#include "analyzer/report/report_assets.h"
#include "analyzer/report/report_document.h"

namespace kiln::analyzer {
namespace {

using nlohmann::json;

FlameNode node(std::string name, int64_t total, int64_t self, std::vector<FlameNode> children = {},
               FrameKind kind = FrameKind::User) {
    FlameNode n;
    n.name = std::move(name);
    n.total = total;
    n.self = self;
    n.kind = kind;
    n.children = std::move(children);
    return n;
}

// all → app → main → {hot_a 75, hot_b 25}
FlameNode split_tree() {
    return node("all", 100, 0,
                {node("app", 100, 0,
                      {node("main", 100, 0, {node("hot_a", 75, 75), node("hot_b", 25, 25)})}, FrameKind::Synthetic)});
}

// A stack of name ids as "a;b;c", through the document's name table.
std::string stack_path(const json& doc, const json& ids) {
    std::string s;
    for (const auto& id : ids) {
        if (!s.empty()) s += ';';
        s += doc["names"][id.get<size_t>()].get<std::string>();
    }
    return s;
}

// The document's stacks of a view as "a;b;c" → value.
std::map<std::string, int64_t> stacks_of(const json& doc, const json& view) {
    std::map<std::string, int64_t> out;
    for (size_t i = 0; i < view["stacks"].size(); ++i) out[stack_path(doc, view["stacks"][i])] += view["values"][i].get<int64_t>();
    return out;
}

std::string gunzip(const std::string& bytes) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    inflateEnd(&z);
    return out;
}

std::string base64_decode(const std::string& text) {
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (v < 0) continue;
        acc = acc << 6 | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

TEST(ReportDocument, ViewStacksNameEachFrameOnceRootFirst) {
    ReportDocument doc("analyze", "t", "f.kiln", "kiln analyze f.kiln", 2.0);
    doc.add_view("cpu", "On-CPU", "samples", split_tree());
    const json& d = doc.document();
    ASSERT_EQ(d["views"].size(), 1u);
    EXPECT_EQ(d["views"][0]["total"], 100);
    EXPECT_EQ(stacks_of(d, d["views"][0]), (std::map<std::string, int64_t>{{"app;main;hot_a", 75}, {"app;main;hot_b", 25}}));
    EXPECT_EQ(d["names"].size(), 4u);  // app, main, hot_a, hot_b: each once
    EXPECT_EQ(d["kinds"][0], static_cast<int>(FrameKind::Synthetic));
    EXPECT_FALSE(d["views"][0].contains("cold"));
}

TEST(ReportDocument, HeatMapRunsMergeTenMillisecondBucketsIntoTwentyAndReuseTheViewsStacks) {
    ReportDocument doc("analyze", "t", "f.kiln", "", 1.0);
    doc.add_view("cpu", "", "samples", split_tree());
    WindowedStacks w;
    w.bucket_ns = 10'000'000;
    w.keys = {"app;main;hot_a", "app;main;hot_b", "app;main;new_fn_[k]"};
    w.buckets = {{0, {{0, 3}}}, {1, {{0, 2}, {1, 1}}}, {7, {{2, 4}}}};
    doc.set_timeline("cpu", w);
    const json& d = doc.document();
    const json& t = d["timeline"];
    EXPECT_DOUBLE_EQ(t["bucket_s"].get<double>(), 0.02);
    EXPECT_EQ(t["buckets"], 4);  // 10 ms buckets 0..7 → 20 ms cells 0..3
    // Decode the runs: [delta, n, (stack, count) x n]...
    std::map<std::pair<uint64_t, std::string>, uint64_t> cells;
    const json& runs = t["runs"];
    const json& view = d["views"][0];
    uint64_t cell = 0;
    for (size_t i = 0; i < runs.size();) {
        cell += runs[i].get<uint64_t>();
        const size_t n = runs[i + 1].get<size_t>();
        i += 2;
        for (size_t k = 0; k < n; ++k, i += 2) {
            const std::string s = stack_path(d, view["stacks"][runs[i].get<size_t>()]);
            cells[{cell, s}] += runs[i + 1].get<uint64_t>();
        }
    }
    EXPECT_EQ(cells, (std::map<std::pair<uint64_t, std::string>, uint64_t>{{{0, "app;main;hot_a"}, 5},
                                                                            {{0, "app;main;hot_b"}, 1},
                                                                            {{3, "app;main;new_fn_[k]"}, 4}}));
    // A stack only the buckets had joins the view with no whole-recording value; its kernel
    // frame is named a kernel frame.
    EXPECT_EQ(view["stacks"].size(), 3u);
    EXPECT_EQ(view["values"][2], 0);
    EXPECT_EQ(d["kinds"][d["names"].size() - 1], static_cast<int>(FrameKind::Kernel));
}

TEST(ReportDocument, DiffStacksCarryEachPathsOwnBaseValue) {
    // NEW: main 10 self, main;render 30. BASE (per path, inclusive): main 20, main;render 5.
    FlameNode render = node("render", 30, 30);
    render.base = 5;
    FlameNode main_fn = node("main", 40, 10, {render});
    main_fn.base = 20;
    FlameNode root = node("all", 40, 0, {main_fn});
    root.base = 20;
    DiffResult result;
    result.type = {"samples", "count"};
    result.base_value = 20;
    result.new_value = 40;
    FunctionDiff f;
    f.name = "render";
    f.total.before = 0.25;
    f.total.after = 0.75;
    f.total.significant = true;
    result.functions = {f};
    ReportDocument doc("diff", "t", "new.kiln", "", 0);
    doc.set_diff({"base.kiln", "new.kiln", &result, &root, "1 regression"});
    const json& d = doc.document()["diff"];
    std::map<std::string, std::pair<int64_t, int64_t>> stacks;  // name path → (a, b)
    for (size_t i = 0; i < d["stacks"].size(); ++i) {
        stacks[stack_path(doc.document(), d["stacks"][i])] = {d["a_values"][i].get<int64_t>(), d["b_values"][i].get<int64_t>()};
    }
    EXPECT_EQ(stacks, (std::map<std::string, std::pair<int64_t, int64_t>>{{"main", {15, 10}}, {"main;render", {5, 30}}}));
    EXPECT_EQ(d["table"][0]["function"], "render");
    EXPECT_DOUBLE_EQ(d["table"][0]["delta_pp"].get<double>(), 50.0);
    EXPECT_EQ(d["a_total"], 20);
}

TEST(ReportPage, Base64MatchesRfc4648) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(ReportPage, InlinesEveryAssetAndTheDataDecodesBack) {
    ReportDocument doc("analyze", "t", "f.kiln", "", 2.0);
    doc.add_view("cpu", "", "samples", split_tree());
    doc.add_warning("a <script> in a warning & \"quotes\"");
    auto page = render_report_page("kiln report: <x> & y", doc.document());
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->find("@@KILN_"), std::string::npos);
    EXPECT_NE(page->find("kiln report: &lt;x&gt; &amp; y"), std::string::npos);
    EXPECT_EQ(page->find("<x>"), std::string::npos);
    EXPECT_NE(page->find(report_assets::kD3.substr(0, 200)), std::string::npos);
    EXPECT_NE(page->find(report_assets::kFlameGraph.substr(0, 200)), std::string::npos);
    EXPECT_NE(page->find(report_assets::kReportJs.substr(0, 200)), std::string::npos);
    // No script other than kiln's own is fetched: the page names no remote source.
    EXPECT_EQ(page->find("src=\"http"), std::string::npos);
    const std::string open = "id=\"kiln-data\">";
    const size_t at = page->find(open);
    ASSERT_NE(at, std::string::npos);
    const size_t end = page->find("</script>", at);
    const std::string data = page->substr(at + open.size(), end - at - open.size());
    const json back = json::parse(gunzip(base64_decode(data)));
    EXPECT_EQ(back, doc.document());
}

}  // namespace
}  // namespace kiln::analyzer
