// A fresh directory per test (mkdtemp under gtest's temp dir), removed with its files at
// destruction. Every test file that writes files uses one: tests of one binary run side by
// side under `ctest -j`, and two checkouts' suites may run on one machine at once, so no test
// writes to a fixed name of a shared directory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace kiln::test {

class TempDir {
public:
    TempDir() {
        std::string base = ::testing::TempDir();  // "/tmp/", with its slash
        while (base.size() > 1 && base.back() == '/') base.pop_back();
        std::string tmpl = base + "/kiln_test_XXXXXX";
        if (::mkdtemp(tmpl.data()) != nullptr) {
            dir_ = tmpl;
        } else {
            ADD_FAILURE() << "mkdtemp " << tmpl << " failed";
        }
    }
    ~TempDir() {
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& dir() const { return dir_; }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    // Writes contents to name in the directory; returns the file's path.
    std::string write(const std::string& name, const std::string& contents) const {
        const std::string file = path(name);
        std::ofstream(file, std::ios::binary) << contents;
        return file;
    }

private:
    std::string dir_;
};

}  // namespace kiln::test
