// Helpers shared by the flame graph tests: trees, SVG parsing, xmllint and headless chromium.
#pragma once

#include "analyzer/output/flame_svg.h"
#include "tests/temp_dir.h"

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

namespace kiln::analyzer::svg_test {

using kiln::test::TempDir;

inline FlameNode node(std::string name, int64_t self, std::vector<FlameNode> children = {}, FrameKind kind = FrameKind::User) {
    FlameNode n;
    n.name = std::move(name);
    n.kind = kind;
    n.self = self;
    n.total = self;
    for (const auto& c : children) n.total += c.total;
    n.children = std::move(children);
    return n;
}

// all 100 = app 100 = main 100 = {hot_a 75, hot_b 25}
inline FlameNode known_tree() {
    return node("all", 0,
                {node("app", 0, {node("main", 0, {node("hot_a", 75), node("hot_b", 25)})}, FrameKind::Synthetic)},
                FrameKind::Synthetic);
}

inline std::string svg_of(const FlameNode& root, FlameSvgOptions o = {}) {
    std::ostringstream out;
    write_flame_svg(root, o, out);
    return out.str();
}


// Runs a shell command line; returns its exit status and stdout.
inline int sh(const std::string& cmd, std::string* out = nullptr) {
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

inline void expect_well_formed(const std::string& svg) {
    const TempDir dir;
    const std::string path = dir.path("graph.svg");
    std::ofstream(path, std::ios::binary) << svg;
    std::string out;
    EXPECT_EQ(sh("/usr/bin/xmllint --noout '" + path + "' 2>&1", &out), 0) << out;
}

// A drawn frame as found in the SVG (or in the DOM chromium dumps).
struct Frame {
    std::string cls, title, name, label, fill;
    double x = -1, y = -1, w = -1;
    std::string attrs;  // of the <g>
};

// Value of attribute name in a tag's attribute text, "" if absent.
inline std::string attr(const std::string& attrs, const std::string& name) {
    for (size_t at = attrs.find(name + "=\""); at != std::string::npos; at = attrs.find(name + "=\"", at + 1)) {
        if (at > 0 && attrs[at - 1] != ' ' && attrs[at - 1] != '\n') continue;
        const size_t from = at + name.size() + 2;
        return attrs.substr(from, attrs.find('"', from) - from);
    }
    return "";
}

// The frames of an SVG or of the DOM chromium dumps: <g class><title/><rect/>[<text/>]</g>.
inline std::vector<Frame> frames_of(const std::string& svg) {
    std::vector<Frame> out;
    auto between = [&](size_t& at, const std::string& open, const std::string& close) {
        const size_t from = at + open.size(), to = svg.find(close, from);
        at = to + close.size();
        return svg.substr(from, to - from);
    };
    for (size_t at = svg.find("<g class=\""); at != std::string::npos; at = svg.find("<g class=\"", at)) {
        Frame f;
        const std::string g = between(at, "<g ", ">");
        f.cls = attr(g, "class");
        f.attrs = g;
        if (svg.compare(at, 7, "<title>") != 0) continue;
        f.title = between(at, "<title>", "</title>");
        f.name = f.title.substr(0, f.title.rfind(" ("));
        const std::string r = between(at, "<rect ", ">");
        f.x = std::atof(attr(r, "x").c_str());
        f.y = std::atof(attr(r, "y").c_str());
        f.w = std::atof(attr(r, "width").c_str());
        f.fill = attr(r, "fill");
        if (svg.compare(at, 7, "</rect>") == 0) at += 7;
        if (svg.compare(at, 5, "<text") == 0) {
            between(at, "<text", ">");
            f.label = between(at, "", "</text>");
        }
        out.push_back(f);
    }
    return out;
}

inline const Frame* find(const std::vector<Frame>& fs, const std::string& name) {
    for (const auto& f : fs)
        if (f.name == name) return &f;
    return nullptr;
}

inline bool has_class(const Frame* f, const std::string& c) {
    if (!f) return false;
    std::istringstream in(f->cls);
    for (std::string w; in >> w;)
        if (w == c) return true;
    return false;
}

struct Browser {
    std::string dom, log;
    int rc = -1;
};

// Loads the SVG (with an optional extra script, run on window load after the graph's own
// init) in headless chromium and returns the DOM it ends with and its console log.
inline Browser open_in_chromium(std::string svg, const std::string& query = "", const std::string& test_script = "") {
    if (!test_script.empty())
        svg.replace(svg.rfind("</svg>"), 6,
                    "<script type=\"text/ecmascript\"><![CDATA[\nwindow.addEventListener(\"load\", function () {\n" +
                        test_script + "\n});\n]]></script>\n</svg>\n");
    const TempDir tmp;
    const std::string& dir = tmp.dir();
    const std::string path = dir + "/graph.svg";
    std::ofstream(path, std::ios::binary) << svg;
    Browser b;
    b.rc =
        sh("timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
           "--enable-logging=stderr --v=0 --user-data-dir='" +
               dir + "/profile' --dump-dom 'file://" + path + query + "' 2>'" + dir + "/log'",
           &b.dom);
    std::ifstream in(dir + "/log");
    std::stringstream log;
    log << in.rdbuf();
    b.log = log.str();
    EXPECT_EQ(b.rc, 0) << b.log;
    EXPECT_NE(b.dom.find("data-kiln-ready=\"1\""), std::string::npos) << "the script did not finish:\n" << b.log;
    EXPECT_EQ(b.log.find("Uncaught"), std::string::npos) << b.log;
    return b;
}

inline std::string matched(const std::string& dom) {
    const size_t tag = dom.find("id=\"matched\""), from = dom.find('>', tag) + 1;
    return tag == std::string::npos ? "" : dom.substr(from, dom.find('<', from) - from);
}

class FlameSvgBrowser : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(access("/usr/bin/chromium", X_OK), 0) << "chromium is needed; tools/install-deps installs it";
    }
};


}  // namespace kiln::analyzer::svg_test
