#include "tests/tools/folded_stacks.h"

namespace kiln::test {

double under(const std::map<std::string, double>& stacks, const std::string& frame) {
    double t = 0;
    for (const auto& [s, v] : stacks) {
        const std::string f = ";" + frame;
        const size_t at = s.find(f);
        if (at != std::string::npos && (at + f.size() == s.size() || s[at + f.size()] == ';')) t += v;
    }
    return t;
}

double calls(const std::map<std::string, double>& stacks, const std::string& caller, const std::string& callee) {
    double t = 0;
    for (const auto& [s, v] : stacks) {
        const size_t leaf = s.rfind(';');
        if (leaf == std::string::npos || s.find(callee, leaf) == std::string::npos) continue;
        const size_t parent = s.rfind(';', leaf - 1);
        if (parent != std::string::npos && s.substr(parent + 1, leaf - parent - 1) == caller) t += v;
    }
    return t;
}

std::string dump(const std::map<std::string, double>& stacks) {
    std::string out;
    for (const auto& [s, v] : stacks) out += s + " " + std::to_string(v) + "\n";
    return out.substr(0, 6000);
}

}  // namespace kiln::test
