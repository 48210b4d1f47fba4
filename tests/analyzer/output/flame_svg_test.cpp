#include "tests/analyzer/output/flame_svg_test_util.h"


#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <set>
#include <sstream>

namespace kiln::analyzer {
namespace {

using namespace svg_test;


TEST(FlameSvg, WidthsAreProportionalAndPositionsCumulative) {
    for (bool inverted : {false, true}) {
        SCOPED_TRACE(inverted ? "icicle" : "flame");
        FlameSvgOptions o;
        o.inverted = inverted;
        const auto fs = frames_of(svg_of(known_tree(), o));
        ASSERT_EQ(fs.size(), 5u);
        const Frame *all = find(fs, "all"), *main = find(fs, "main"), *a = find(fs, "hot_a"), *b = find(fs, "hot_b");
        ASSERT_TRUE(all && main && a && b);
        EXPECT_NEAR(all->w, 1180, 0.01);
        EXPECT_NEAR(a->w, 885, 0.01);
        EXPECT_NEAR(b->w, 295, 0.01);
        EXPECT_NEAR(a->x, all->x, 0.01);
        EXPECT_NEAR(b->x, a->x + a->w, 0.01) << "siblings side by side, in tree order";
        EXPECT_EQ(a->y, b->y);
        EXPECT_EQ(main->y - a->y, inverted ? -16 : 16) << "children above (flame) or below (icicle)";
        EXPECT_EQ(all->y - main->y, inverted ? -32 : 32);
    }
}

TEST(FlameSvg, TitlesCarryValueInItsUnitAndShareOfTotal) {
    FlameSvgOptions o;
    o.unit = "nanoseconds";
    std::string svg = svg_of(known_tree(), o);
    EXPECT_NE(svg.find("<title>hot_a (75 ns, 75.00%)</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>hot_b (25 ns, 25.00%)</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>all (100 ns, 100.00%)</title>"), std::string::npos);

    const FlameNode ms = node("all", 0, {node("x", 2'500'000), node("y", 1'500'000'000)});
    svg = svg_of(ms, o);
    EXPECT_NE(svg.find("<title>x (2.50 ms, 0.17%)</title>"), std::string::npos) << svg;
    EXPECT_NE(svg.find("<title>y (1.50 s, 99.83%)</title>"), std::string::npos);

    o.unit = "bytes";
    svg = svg_of(node("all", 0, {node("malloc", 3 << 20), node("new", 1 << 20)}), o);
    EXPECT_NE(svg.find("<title>malloc (3.00 MiB, 75.00%)</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>all (4.00 MiB, 100.00%)</title>"), std::string::npos);

    o.unit = "samples";
    svg = svg_of(known_tree(), o);
    EXPECT_NE(svg.find("<title>hot_b (25 samples, 25.00%)</title>"), std::string::npos);
}

TEST(FlameSvg, KindsGetTheirOwnClassesAndColourFamilies) {
    FlameNode k = node("do_syscall_64_[k]", 10, {}, FrameKind::Kernel);
    FlameNode j = node("LazyCompile:f_[j]", 10, {}, FrameKind::Jit);
    FlameNode i = node("inlined_[i]", 10);
    i.inlined = true;
    FlameNode u = node("[unknown]", 10, {}, FrameKind::Unknown);
    const auto fs = frames_of(svg_of(node("all", 0, {node("main", 0, {k, j, i, u})}, FrameKind::Synthetic)));
    auto rgb = [](const Frame* f) {
        unsigned r = 0, g = 0, b = 0;
        EXPECT_EQ(std::sscanf(f->fill.c_str(), "#%2x%2x%2x", &r, &g, &b), 3) << f->fill;
        return std::array<int, 3>{int(r), int(g), int(b)};
    };
    for (const char* n : {"all", "main", "do_syscall_64_[k]", "LazyCompile:f_[j]", "inlined_[i]", "[unknown]"})
        ASSERT_TRUE(find(fs, n)) << n;
    EXPECT_EQ(find(fs, "main")->cls, "u");
    EXPECT_EQ(find(fs, "do_syscall_64_[k]")->cls, "k");
    EXPECT_EQ(find(fs, "LazyCompile:f_[j]")->cls, "j");
    EXPECT_EQ(find(fs, "inlined_[i]")->cls, "i");
    EXPECT_EQ(find(fs, "[unknown]")->cls, "s");
    EXPECT_EQ(find(fs, "all")->cls, "s");
    const auto user = rgb(find(fs, "main")), kern = rgb(find(fs, "do_syscall_64_[k]")),
               jit = rgb(find(fs, "LazyCompile:f_[j]")), inl = rgb(find(fs, "inlined_[i]")),
               unk = rgb(find(fs, "[unknown]"));
    EXPECT_TRUE(user[0] >= 200 && user[1] <= 130 && user[2] <= 70) << "user: warm red";
    EXPECT_TRUE(kern[0] >= 220 && kern[1] >= 150 && kern[2] <= 40) << "kernel: amber";
    EXPECT_TRUE(jit[1] > jit[0] + 50 && jit[1] > jit[2] + 50) << "JIT: green";
    EXPECT_TRUE(inl[2] > inl[0] + 50) << "inlined: aqua";
    EXPECT_TRUE(unk[0] == unk[1] && unk[1] == unk[2]) << "unknown: grey";

    // Same name, same colour: two graphs of the same code look alike; names differ, colours vary.
    const auto f1 = frames_of(svg_of(node("all", 0, {node("main", 5)}))),
               f2 = frames_of(svg_of(node("all", 0, {node("main", 9), node("other", 1)})));
    EXPECT_EQ(find(f1, "main")->fill, find(f2, "main")->fill);
    std::set<std::string> fills;
    for (int n = 0; n < 20; ++n)
        fills.insert(find(frames_of(svg_of(node("fn" + std::to_string(n), 1))), "fn" + std::to_string(n))->fill);
    EXPECT_GT(fills.size(), 10u);
    // The legend names the families.
    const std::string svg = svg_of(known_tree());
    for (const char* l : {">user<", ">kernel<", ">inlined<", ">JIT<", ">other<"})
        EXPECT_NE(svg.find(l), std::string::npos) << l;
}

TEST(FlameSvg, XmlEscapeReplacesWhatXmlCannotHold) {
    EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    EXPECT_EQ(xml_escape("ok \xe2\x82\xac \xf0\x9f\x94\xa5"), "ok \xe2\x82\xac \xf0\x9f\x94\xa5");
    const std::string fffd = "\xef\xbf\xbd";
    EXPECT_EQ(xml_escape("\xff\xfe"), fffd + fffd);
    EXPECT_EQ(xml_escape("x\xe2\x82"), "x" + fffd + fffd) << "truncated sequence";
    EXPECT_EQ(xml_escape("\xc0\xaf"), fffd + fffd) << "overlong";
    EXPECT_EQ(xml_escape("\xed\xa0\x80"), fffd + fffd + fffd) << "surrogate";
    EXPECT_EQ(xml_escape("\xef\xbf\xbe\xef\xbf\xbf"), fffd + fffd + fffd + fffd + fffd + fffd) << "U+FFFE, U+FFFF";
    EXPECT_EQ(xml_escape("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd) << "above U+10FFFF";
    EXPECT_EQ(xml_escape(std::string("a\0b\x01\t\n\x7f", 7)), "a?b????");
}

TEST(FlameSvg, HostileNamesAreEscapedAndTheFileStaysWellFormed) {
    const std::vector<std::string> names = {"<script>alert(1)</script>",
                                            "]]>",
                                            "\"&'",
                                            "bad\xff\xfe utf8",
                                            "ctl\x01\x1b[31m",
                                            "truncated \xe2\x82",
                                            "nonchar \xef\xbf\xbe",
                                            "ok \xe2\x82\xac",
                                            "<!-- x -->",
                                            "a&amp;b"};
    std::vector<FlameNode> kids;
    for (const auto& n : names) kids.push_back(node(n, 10));
    FlameSvgOptions o;
    o.title = "<b>title</b>";
    o.subtitle = "]]><script>\xff";
    o.unit = "<u>\"";
    for (bool narrow : {false, true}) {
        o.width = narrow ? 200 : 1200;  // labels truncated in the middle of escapes, or whole
        const std::string svg = svg_of(node("all", 0, {node("app", 0, kids)}), o);
        for (const char* bad :
             {"<script>alert", "<b>", "<u>", "\xff", "\x1b", "\x01", "\xef\xbf\xbe", "<!-- x", "&amp;b"})
            EXPECT_EQ(svg.find(bad), std::string::npos) << "unescaped: " << bad;
        EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
        EXPECT_NE(svg.find("&amp;amp;b"), std::string::npos);
        EXPECT_NE(svg.find("&quot;&amp;&#39;"), std::string::npos);
        EXPECT_NE(svg.find("ok \xe2\x82\xac"), std::string::npos) << "valid UTF-8 must pass unchanged";
        // Only the real script element: ]]> inside names must not end the CDATA section early.
        size_t cdata_ends = 0;
        for (size_t at = 0; (at = svg.find("]]>", at)) != std::string::npos; ++at) ++cdata_ends;
        EXPECT_EQ(cdata_ends, 1u);
        EXPECT_EQ(frames_of(svg).size(), names.size() + 2);
        expect_well_formed(svg);
    }
}

TEST(FlameSvg, NarrowFramesAreElidedButStillCounted) {
    // a_big, 50 tiny frames (one with a subtree), c_big: the tiny ones are far below 0.1 px.
    std::vector<FlameNode> kids{node("a_big", 1'000'000)};
    for (int i = 0; i < 50; ++i) kids.push_back(node("b_tiny" + std::to_string(i), 1000));
    kids[1] = node("b_tiny0", 0, {node("t1", 500, {node("t2", 500)})});
    kids.push_back(node("c_big", 1'000'000));
    FlameSvgOptions o;
    o.min_width_px = 1;  // a tiny frame is 0.57 px
    const std::string svg = svg_of(node("all", 0, {node("app", 0, kids)}), o);
    const auto fs = frames_of(svg);
    for (const auto& f : fs) EXPECT_EQ(f.name.find("tiny"), std::string::npos) << f.name;
    EXPECT_FALSE(find(fs, "t2"));
    EXPECT_NE(svg.find(">52 frames narrower than 1 px not drawn<"), std::string::npos) << "subtrees counted";
    EXPECT_NE(svg.find("<!-- 52 frames narrower than"), std::string::npos);
    const Frame *app = find(fs, "app"), *a = find(fs, "a_big"), *c = find(fs, "c_big");
    ASSERT_TRUE(app && a && c);
    EXPECT_NE(app->title.find("(2050000 samples, 100.00%)"), std::string::npos) << "elided value still counts";
    EXPECT_EQ(attr(c->attrs, "data-g"), "50000") << "the script needs the elided gap before c_big";
    EXPECT_EQ(attr(a->attrs, "data-g"), "");
    EXPECT_NEAR(c->x, a->x + a->w + 50'000 * 1180.0 / 2'050'000, 0.016);
    // Nothing elided, nothing said.
    EXPECT_EQ(svg_of(known_tree()).find("narrower than"), std::string::npos);
    o.min_width_px = 0;
    EXPECT_EQ(frames_of(svg_of(node("all", 0, {node("app", 0, kids)}), o)).size(), fs.size() + 52);
}

TEST(FlameSvg, LabelsAreTruncatedToTheirFrame) {
    const std::string long_name(300, 'x');
    std::string multi;
    for (int i = 0; i < 300; ++i) multi += "\xc3\xa9";  // é
    const std::string svg = svg_of(node("all", 0, {node(long_name, 1), node(multi, 1), node("b", 1000)}));
    const auto fs = frames_of(svg);
    const Frame *x = find(fs, long_name), *e = find(fs, multi), *b = find(fs, "b");
    ASSERT_TRUE(x && e && b) << "the full name stays in the title, for hover and search";
    EXPECT_EQ(x->label, "") << "a 1.2 px frame has no room for text";
    EXPECT_EQ(b->label, "b");
    const std::string wide = svg_of(node("all", 0, {node(long_name, 1), node(multi, 1)}));
    for (const auto& f : frames_of(wide)) {
        if (f.name == "all") continue;
        const auto max_chars = static_cast<size_t>((f.w - 6) / (12 * 0.59));
        ASSERT_GE(f.label.size(), 2u);
        EXPECT_EQ(f.label.substr(f.label.size() - 2), "..");
        size_t chars = 0;
        for (unsigned char ch : f.label) chars += (ch & 0xc0) != 0x80;
        EXPECT_LE(chars, max_chars);
        EXPECT_GE(chars, max_chars - 1);
    }
    EXPECT_NE(wide.find("\xc3\xa9\xc3\xa9..</text>"), std::string::npos) << "cut between characters";
    expect_well_formed(wide);
}

TEST(FlameSvg, EmptyProfileIsAValidGraph) {
    const std::string svg = svg_of(node("all", 0));
    EXPECT_TRUE(frames_of(svg).empty());
    EXPECT_NE(svg.find("No samples"), std::string::npos);
    expect_well_formed(svg);
}

// A random tree of about n nodes with names from a small pool (so names repeat).
FlameNode random_tree(std::mt19937& rng, int n, int depth = 0) {
    FlameNode r;
    r.name = depth == 0 ? "all" : "fn_" + std::to_string(rng() % 300) + "::namespace::Function";
    r.kind = static_cast<FrameKind>(rng() % 5);
    r.inlined = rng() % 7 == 0;
    r.self = rng() % 1000;
    r.total = r.self;
    const int kids = n <= 1 || depth > 60 ? 0 : 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < kids; ++i) {
        r.children.push_back(random_tree(rng, (n - 1) / kids, depth + 1));
        r.total += r.children.back().total;
    }
    std::sort(r.children.begin(), r.children.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return r;
}

// Nodes with a value (frames of value 0 are never drawn).
size_t count_nodes(const FlameNode& n) {
    size_t k = n.total > 0;
    for (const auto& c : n.children) k += count_nodes(c);
    return k;
}

TEST(FlameSvg, LargeTreesStaySmall) {
    std::mt19937 rng(7);
    const FlameNode root = random_tree(rng, 50'000);
    ASSERT_GT(count_nodes(root), 40'000u);
    FlameSvgOptions o;
    o.min_width_px = 0;  // draw everything
    const std::string svg = svg_of(root, o);
    const auto fs = frames_of(svg);
    ASSERT_EQ(fs.size(), count_nodes(root));
    size_t names = 0;
    for (const auto& f : fs) names += f.name.size() + f.label.size();
    const double overhead = static_cast<double>(svg.size() - names) / static_cast<double>(fs.size());
    EXPECT_LT(overhead, 170) << "bytes per frame besides its name";
    expect_well_formed(svg);
    // With the default minimum width most of these frames are sub-pixel.
    EXPECT_LT(svg_of(root).size(), svg.size() / 2);
}


TEST_F(FlameSvgBrowser, SearchHighlightsMatchesAndCountsNestedOnes) {
    const std::string svg = svg_of(known_tree());
    std::string dom = open_in_chromium(svg, "?s=hot_b").dom;
    auto fs = frames_of(dom);
    EXPECT_EQ(matched(dom), "Matched: 25.0%");
    EXPECT_TRUE(has_class(find(fs, "hot_b"), "match"));
    EXPECT_FALSE(has_class(find(fs, "hot_a"), "match"));
    EXPECT_FALSE(has_class(find(fs, "main"), "match"));
    dom = open_in_chromium(svg, "?s=^(main|hot_a)$").dom;
    EXPECT_EQ(matched(dom), "Matched: 100.0%") << "hot_a inside main counts once";
    EXPECT_TRUE(has_class(find(frames_of(dom), "hot_a"), "match"));
}

TEST_F(FlameSvgBrowser, ZoomFillsTheWidthKeepsAncestorsAndHidesTheRest) {
    const std::string dom = open_in_chromium(svg_of(known_tree()), "?z=hot_b").dom;
    const auto fs = frames_of(dom);
    EXPECT_TRUE(has_class(find(fs, "hot_a"), "hide"));
    for (const char* n : {"all", "app", "main"}) {
        EXPECT_TRUE(has_class(find(fs, n), "parent")) << n;
        EXPECT_NEAR(find(fs, n)->w, 1180, 0.01) << n;
    }
    ASSERT_TRUE(find(fs, "hot_b"));
    EXPECT_FALSE(has_class(find(fs, "hot_b"), "hide"));
    EXPECT_NEAR(find(fs, "hot_b")->x, 10, 0.01);
    EXPECT_NEAR(find(fs, "hot_b")->w, 1180, 0.01);
    EXPECT_EQ(find(fs, "hot_b")->label, "hot_b");
    EXPECT_EQ(dom.find("id=\"unzoom\" class=\"hide\""), std::string::npos) << "Reset Zoom shows";
}

// A frame of 1e-6 of the total (0.001 px wide) zoomed to full width: its children must be
// laid out from values, not from rounded pixel positions; text appears where none was.
TEST_F(FlameSvgBrowser, DeepZoomIsExact) {
    const FlameNode root = node("all", 0,
                                {node("big", 999'000'000), node("pad", 0, {node("small", 5000)}),
                                 node("tiny", 0, {node("x", 250), node("y", 750)})});
    FlameSvgOptions o;
    o.min_width_px = 0;
    const std::string svg = svg_of(root, o);
    EXPECT_EQ(find(frames_of(svg), "y")->label, "");
    const auto fs = frames_of(open_in_chromium(svg, "?z=tiny").dom);
    const Frame *x = find(fs, "x"), *y = find(fs, "y"), *t = find(fs, "tiny");
    ASSERT_TRUE(x && y && t);
    EXPECT_NEAR(t->w, 1180, 0.01);
    EXPECT_NEAR(x->x, 10, 0.01);
    EXPECT_NEAR(x->w, 295, 0.01);
    EXPECT_NEAR(y->x, 305, 0.01);
    EXPECT_NEAR(y->w, 885, 0.01);
    EXPECT_EQ(y->label, "y");
    EXPECT_TRUE(has_class(find(fs, "small"), "hide"));
    EXPECT_TRUE(has_class(find(fs, "pad"), "hide"));

    // Elided siblings still take their room after a zoom: f starts 2/1000 of the width in.
    const FlameNode gaps =
        node("all", 0, {node("big", 999'000'000), node("w", 0, {node("e1", 1), node("e2", 1), node("f", 998)})});
    o.min_width_px = 1e-4;  // w and f are 0.001 px wide, e1 and e2 0.000001 px
    const std::string gap_svg = svg_of(gaps, o);
    ASSERT_TRUE(find(frames_of(gap_svg), "f"));
    ASSERT_FALSE(find(frames_of(gap_svg), "e1"));
    const auto zoomed = frames_of(open_in_chromium(gap_svg, "?z=w").dom);
    const Frame* f = find(zoomed, "f");
    ASSERT_TRUE(f);
    EXPECT_NEAR(f->x, 10 + 2.36, 0.01);
    EXPECT_NEAR(f->w, 1177.64, 0.01);
}

// The handlers a user drives: hover, click to zoom, Ctrl-F search, Reset Zoom, Escape.
TEST_F(FlameSvgBrowser, MouseAndKeyboard) {
    FlameSvgOptions o;
    o.unit = "nanoseconds";
    const std::string script = R"JS(
      var root = document.documentElement;
      function frame(name) {
        var gs = document.getElementById("frames").children;
        for (var i = 0; i < gs.length; i++)
          if (gs[i].getElementsByTagName("title")[0].textContent.indexOf(name + " (") === 0) return gs[i];
      }
      function fire(el, type) { el.dispatchEvent(new MouseEvent(type, {bubbles: true})); }
      function details() { return document.getElementById("details").textContent; }
      function w(name) { return frame(name).getElementsByTagName("rect")[0].getAttribute("width"); }
      fire(frame("hot_a").getElementsByTagName("rect")[0], "mouseover");
      root.setAttribute("data-t-hover", details());
      fire(frame("hot_a").getElementsByTagName("rect")[0], "mouseout");
      root.setAttribute("data-t-out", details());
      fire(frame("hot_a").getElementsByTagName("text")[0], "click");
      root.setAttribute("data-t-zoom", w("hot_a") + " " + frame("hot_b").getAttribute("class"));
      window.prompt = function () { return "^hot_"; };
      window.dispatchEvent(new KeyboardEvent("keydown", {key: "f", ctrlKey: true, bubbles: true}));
      root.setAttribute("data-t-search", document.getElementById("matched").textContent + " " +
                        document.getElementById("search").textContent);
      fire(document.getElementById("unzoom"), "click");
      root.setAttribute("data-t-unzoom", w("hot_a") + " " + w("hot_b") + " " + frame("hot_b").getAttribute("class"));
      fire(document.getElementById("search"), "click");
      root.setAttribute("data-t-reset", document.getElementById("matched").getAttribute("class") + " " +
                        frame("hot_a").getAttribute("class"));
      fire(frame("main").getElementsByTagName("rect")[0], "click");
      window.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true}));
      root.setAttribute("data-t-escape", document.getElementById("unzoom").getAttribute("class"));
    )JS";
    const std::string dom = open_in_chromium(svg_of(known_tree(), o), "", script).dom;
    auto root_attr = [&](const std::string& n) { return attr(dom.substr(0, dom.find('>', dom.find("<svg"))), n); };
    EXPECT_EQ(root_attr("data-t-hover"), "hot_a (75 ns, 75.00%)");
    EXPECT_EQ(root_attr("data-t-out"), " ");
    EXPECT_EQ(root_attr("data-t-zoom"), "1180.00 u hide");
    EXPECT_EQ(root_attr("data-t-search"), "Matched: 100.0% Reset Search");
    EXPECT_EQ(root_attr("data-t-unzoom"), "885.00 295.00 u match");
    EXPECT_EQ(root_attr("data-t-reset"), "hide u");
    EXPECT_EQ(root_attr("data-t-escape"), "hide");
}


TEST_F(FlameSvgBrowser, SearchShareOnALargeTree) {
    std::mt19937 rng(11);
    const FlameNode root = random_tree(rng, 20'000);
    const FlameSvgOptions o;
    const std::regex re("fn_1[0-9]::");
    const double scale = 1180.0 / static_cast<double>(root.total);
    // Value of drawn frames that match, a match below a match counted once.
    std::function<int64_t(const FlameNode&)> covered = [&](const FlameNode& n) -> int64_t {
        if (static_cast<double>(n.total) * scale < o.min_width_px) return 0;
        if (std::regex_search(n.name, re)) return n.total;
        int64_t sum = 0;
        for (const auto& c : n.children) sum += covered(c);
        return sum;
    };
    char want[64];
    std::snprintf(want, sizeof want, "Matched: %.1f%%",
                  100.0 * static_cast<double>(covered(root)) / static_cast<double>(root.total));
    ASSERT_STRNE(want, "Matched: 0.0%");
    const Browser b = open_in_chromium(svg_of(root, o), "?s=fn_1[0-9]::");
    EXPECT_EQ(matched(b.dom), want);
}

}  // namespace
}  // namespace kiln::analyzer