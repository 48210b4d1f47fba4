#include "tools/text_output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

namespace kiln::tools {

Status write_text(const std::string& path, const std::string& text) {
    if (path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return Status::success();
    }
    return write_stream(path, [&text](std::ostream& out) { out << text; });
}

Status write_stream(const std::string& path, const std::function<void(std::ostream&)>& write) {
    if (path == "-") {
        std::cout.flush();
        write(std::cout);
        std::cout.flush();
        if (!std::cout) return make_error("cannot write to standard output: " + std::string(std::strerror(errno)));
        return Status::success();
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return make_error("cannot write " + path + ": " + std::strerror(errno));
    write(f);
    f.close();
    if (!f) return make_error("cannot write " + path + ": " + std::strerror(errno));
    return Status::success();
}

Status write_stream_to(const std::string& path, const std::function<void(std::ostream&)>& write,
                       std::vector<std::string>& written) {
    KILN_TRY(write_stream(path, write));
    written.push_back(path);
    return Status::success();
}

}  // namespace kiln::tools
