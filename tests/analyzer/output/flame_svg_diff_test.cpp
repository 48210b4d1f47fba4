// Differential flame graphs (kiln diff): colour by change of share, before/after on hover.
#include "tests/analyzer/output/flame_svg_test_util.h"

namespace kiln::analyzer {
namespace {

using namespace svg_test;

// ---- Differential graphs (kiln diff) ----------------------------------------------------

// NEW: main 100 = {hot_a 50, hot_b 50}; BASE (200 in all): hot_a 150, hot_b 50, i.e. hot_a
// went from 75% to 50% of the total, hot_b from 25% to 50%.
FlameNode diff_tree() {
    FlameNode root = known_tree();
    root.children[0].children[0].children[0].total = root.children[0].children[0].children[0].self = 50;
    root.children[0].children[0].children[1].total = root.children[0].children[0].children[1].self = 50;
    root.base = root.children[0].base = root.children[0].children[0].base = 200;
    root.children[0].children[0].children[0].base = 150;
    root.children[0].children[0].children[1].base = 50;
    return root;
}

std::string fill_of(const std::string& svg, const std::string& name) {
    const auto fs = frames_of(svg);
    const Frame* f = find(fs, name);
    return f ? f->fill : "";
}

TEST(FlameSvg, DifferentialColoursByChangeOfShareAndShowsBeforeAndAfter) {
    FlameSvgOptions o;
    o.differential = true;
    o.unit = "ns";
    const std::string svg = svg_of(diff_tree(), o);
    expect_well_formed(svg);
    EXPECT_NE(svg.find("<title>hot_b (50 ns, 50.00%; before 25.00% \u2192 after 50.00%, +25.00 pts)</title>"),
              std::string::npos)
        << svg;
    EXPECT_NE(svg.find("<title>hot_a (50 ns, 50.00%; before 75.00% \u2192 after 50.00%, -25.00 pts)</title>"),
              std::string::npos);
    // The largest change is drawn at full intensity: red grew, blue shrank; main did not change.
    EXPECT_EQ(fill_of(svg, "hot_b"), "#ff0a0a");
    EXPECT_EQ(fill_of(svg, "hot_a"), "#0a0aff");
    EXPECT_EQ(fill_of(svg, "main"), "#f5f5f5");
    EXPECT_NE(svg.find(">grew</text>"), std::string::npos);
    EXPECT_EQ(svg.find(">kernel</text>"), std::string::npos) << "the kind legend does not apply";
    // Changes under 1 point of share are drawn fainter: 0.2 points, a fifth of full intensity.
    FlameNode small = diff_tree();
    small.base = small.children[0].base = small.children[0].children[0].base = 1000;
    small.children[0].children[0].children[0].base = 502;
    small.children[0].children[0].children[1].base = 498;
    const std::string svg2 = svg_of(small, o);
    EXPECT_EQ(fill_of(svg2, "hot_b"), "#ffc6c6");
    EXPECT_EQ(fill_of(svg2, "hot_a"), "#c6c6ff");
}


TEST_F(FlameSvgBrowser, DifferentialGraphHoverShowsBeforeAndAfter) {
    FlameSvgOptions o;
    o.differential = true;
    o.unit = "ns";
    const std::string script = R"JS(
      var root = document.documentElement, gs = document.getElementById("frames").children, hb;
      for (var i = 0; i < gs.length; i++)
        if (gs[i].getElementsByTagName("title")[0].textContent.indexOf("hot_b (") === 0) hb = gs[i];
      hb.getElementsByTagName("rect")[0].dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
      root.setAttribute("data-t-hover", document.getElementById("details").textContent);
    )JS";
    const std::string dom = open_in_chromium(svg_of(diff_tree(), o), "?z=hot_b", script).dom;
    const std::string head = dom.substr(0, dom.find('>', dom.find("<svg")));
    EXPECT_EQ(attr(head, "data-t-hover"), "hot_b (50 ns, 50.00%; before 25.00% \u2192 after 50.00%, +25.00 pts)");
    const auto fs = frames_of(dom);
    ASSERT_NE(find(fs, "hot_b"), nullptr);
    EXPECT_DOUBLE_EQ(find(fs, "hot_b")->w, 1180.0) << "zoom by name works on a differential graph";
}

// On a big random tree the script's share of matches agrees with one computed here.
}  // namespace
}  // namespace kiln::analyzer
