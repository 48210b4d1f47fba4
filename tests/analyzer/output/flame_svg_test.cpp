#include "analyzer/output/flame_svg.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace kiln::analyzer {
namespace {

FlameNode node(std::string name, int64_t self, std::vector<FlameNode> children = {},
               FrameKind kind = FrameKind::User) {
    FlameNode n;
    n.name = std::move(name);
    n.kind = kind;
    n.self = self;
    n.total = self;
    for (const auto& c : children) n.total += c.total;
    n.children = std::move(children);
    return n;
}

// root 100 = app 100 = main 100 = {hot_a 75, hot_b 25}
FlameNode known_tree() {
    return node("all", 0,
                {node("app", 0, {node("main", 0, {node("hot_a", 75), node("hot_b", 25)})}, FrameKind::Synthetic)},
                FrameKind::Synthetic);
}

std::string svg_of(const FlameNode& root, FlameSvgOptions o = {}) {
    std::ostringstream out;
    write_flame_svg(root, o, out);
    return out.str();
}

std::string temp_file(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// Runs a shell command line; returns its exit status and stdout.
int sh(const std::string& cmd, std::string* out = nullptr) {
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    std::string text;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    const int st = pclose(p);
    if (out) *out = text;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// width attribute of the rect of the frame named name.
double rect_width(const std::string& svg, const std::string& name) {
    std::smatch m;
    std::regex re("data-n=\"" + name + "\"[^>]*><title>[^<]*</title><rect x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"([0-9.]+)\"");
    if (!std::regex_search(svg, m, re)) return -1;
    return std::atof(m[1].str().c_str());
}

TEST(FlameSvg, WidthsAreProportionalAndTitlesCarryValueAndShare) {
    FlameSvgOptions o;
    o.unit = "nanoseconds";
    const std::string svg = svg_of(known_tree(), o);
    const double a = rect_width(svg, "hot_a"), b = rect_width(svg, "hot_b"), all = rect_width(svg, "all");
    ASSERT_GT(a, 0);
    ASSERT_GT(b, 0);
    EXPECT_NEAR(a / b, 3.0, 0.01);
    EXPECT_NEAR((a + b) / all, 1.0, 0.001);
    EXPECT_NE(svg.find("<title>hot_a (75 ns, 75.00%)</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>hot_b (25 ns, 25.00%)</title>"), std::string::npos);
}

TEST(FlameSvg, KindsGetTheirOwnClassesAndColours) {
    FlameNode k = node("do_syscall_64_[k]", 10, {}, FrameKind::Kernel);
    FlameNode j = node("LazyCompile:f_[j]", 10, {}, FrameKind::Jit);
    FlameNode i = node("inlined_[i]", 10);
    i.inlined = true;
    const std::string svg = svg_of(node("all", 0, {node("main", 0, {k, j, i})}));
    EXPECT_NE(svg.find("class=\"f k\" data-n=\"do_syscall_64_[k]\""), std::string::npos);
    EXPECT_NE(svg.find("class=\"f j\" data-n=\"LazyCompile:f_[j]\""), std::string::npos);
    EXPECT_NE(svg.find("class=\"f i\" data-n=\"inlined_[i]\""), std::string::npos);
    // Same name, same colour: two graphs of the same code look alike.
    std::smatch m1, m2;
    const std::string s1 = svg_of(node("all", 0, {node("main", 5)})), s2 = svg_of(node("all", 0, {node("main", 9)}));
    std::regex fill("data-n=\"main\".*?fill=\"(rgb\\([0-9,]+\\))\"");
    ASSERT_TRUE(std::regex_search(s1, m1, fill));
    ASSERT_TRUE(std::regex_search(s2, m2, fill));
    EXPECT_EQ(m1[1].str(), m2[1].str());
}

TEST(FlameSvg, HostileNamesAreEscapedAndTheFileStaysWellFormed) {
    const std::vector<std::string> names = {"<script>alert(1)</script>", "]]>", "\"&'", "bad\xff\xfe utf8",
                                            "ctl\x01\x1b[31m", "truncated \xe2\x82", "ok \xe2\x82\xac"};
    std::vector<FlameNode> kids;
    for (const auto& n : names) kids.push_back(node(n, 10));
    FlameSvgOptions o;
    o.title = "<b>title</b>";
    o.subtitle = "]]><script>";
    const std::string svg = svg_of(node("all", 0, {node("app", 0, kids)}), o);
    EXPECT_EQ(svg.find("<script>alert"), std::string::npos);
    EXPECT_EQ(svg.find("<b>"), std::string::npos);
    EXPECT_EQ(svg.find("\xff"), std::string::npos);
    EXPECT_EQ(svg.find("\x1b"), std::string::npos);
    EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(svg.find("ok \xe2\x82\xac"), std::string::npos) << "valid UTF-8 must pass unchanged";
    // Only the real script element: ]]> inside names must not end the CDATA section early.
    size_t cdata_ends = 0;
    for (size_t at = 0; (at = svg.find("]]>", at)) != std::string::npos; ++at) ++cdata_ends;
    EXPECT_EQ(cdata_ends, 1u);
    const std::string path = temp_file("hostile.svg", svg);
    std::string out;
    EXPECT_EQ(sh("xmllint --noout '" + path + "' 2>&1", &out), 0) << out;
}

TEST(FlameSvg, NarrowFramesAreElidedButStillCounted) {
    std::vector<FlameNode> kids{node("big", 1000000)};
    for (int i = 0; i < 50; ++i) kids.push_back(node("tiny" + std::to_string(i), 1));
    const std::string svg = svg_of(node("all", 0, {node("app", 0, kids)}));
    EXPECT_EQ(svg.find("data-n=\"tiny0\""), std::string::npos);
    EXPECT_NE(svg.find("50 frames narrower than"), std::string::npos);
    EXPECT_NE(svg.find("data-n=\"app\" data-v=\"1000050\""), std::string::npos);
}

TEST(FlameSvg, LongNamesAreTruncatedToTheirFrame) {
    const std::string long_name(300, 'x');
    const std::string svg = svg_of(node("all", 0, {node(long_name, 1), node("b", 1)}));
    EXPECT_NE(svg.find("xx..</text>"), std::string::npos);
    EXPECT_NE(svg.find("data-n=\"" + long_name + "\""), std::string::npos) << "the full name stays for search";
}

// The script runs in a real browser: search from ?s= highlights the matches and reports
// their share; ?z= zooms so the frame fills the width and unrelated frames hide.
TEST(FlameSvg, ScriptSearchesAndZoomsInChromium) {
    ASSERT_EQ(access("/usr/bin/chromium", X_OK), 0) << "chromium is needed for this test; tools/install-deps installs it";
    FlameSvgOptions o;
    o.unit = "nanoseconds";
    const std::string path = temp_file("browser.svg", svg_of(known_tree(), o));
    const std::string profile_dir = ::testing::TempDir() + "/chromium-profile";
    auto dom = [&](const std::string& query) {
        std::string out;
        const int rc = sh("timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu --user-data-dir=" +
                              profile_dir + " --dump-dom 'file://" + path + query + "' 2>/dev/null",
                          &out);
        EXPECT_EQ(rc, 0);
        return out;
    };
    std::string d = dom("?s=hot_b");
    EXPECT_NE(d.find("data-kiln-ready=\"1\""), std::string::npos) << "the script did not run:\n" << d.substr(0, 2000);
    EXPECT_NE(d.find("Matched: 25.0%"), std::string::npos);
    EXPECT_NE(d.find("class=\"f u match\" data-n=\"hot_b\""), std::string::npos);
    EXPECT_EQ(d.find("class=\"f u match\" data-n=\"hot_a\""), std::string::npos);
    // A regex matching nested frames counts them once.
    d = dom("?s=^(main|hot_a)$");
    EXPECT_NE(d.find("Matched: 100.0%"), std::string::npos);

    d = dom("?z=hot_b");
    EXPECT_NE(d.find("class=\"f u hide\" data-n=\"hot_a\""), std::string::npos) << d.substr(0, 3000);
    EXPECT_NE(d.find("class=\"f u parent\" data-n=\"main\""), std::string::npos);
    const double full = rect_width(d, "main");
    EXPECT_NEAR(rect_width(d, "hot_b"), full, 0.5);
}

}  // namespace
}  // namespace kiln::analyzer
