// The standard output of a shell command (popen), for tests that read what a tool printed
// (nm, readelf, perf) without checking how it exited.
#pragma once

#include <cstdio>
#include <string>

namespace kiln::test {

inline std::string output_of(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    ::pclose(pipe);
    return out;
}

}  // namespace kiln::test
