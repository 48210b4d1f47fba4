#include "analyzer/output/folded_writer.h"

#include <string>

namespace kiln::analyzer {

namespace {

// ';' separates frames and a newline ends a stack: neither may appear inside a name.
void append_name(std::string& path, const std::string& name) {
    for (char c : name) {
        if (c == ';')
            path += ':';
        else if (c == '\n' || c == '\r')
            path += ' ';
        else
            path += c;
    }
}

void walk(const FlameNode& n, std::string& path, std::ostream& out) {
    const size_t len = path.size();
    if (!path.empty()) path += ';';
    append_name(path, n.name);
    if (n.self > 0) out << path << ' ' << n.self << '\n';
    for (const auto& c : n.children) walk(c, path, out);
    path.resize(len);
}

}  // namespace

void write_folded(const FlameNode& root, std::ostream& out) {
    std::string path;
    for (const auto& c : root.children) walk(c, path, out);
}

}  // namespace kiln::analyzer
