// Finding binaries by build-id: recorded path, debug directories, symfs, debuginfod; never
// a file whose build-id differs.
#include "analyzer/symbolize/binary_locator.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "formats/sideband.h"
#include "tests/analyzer/symbolize/elf_test_util.h"

namespace kiln::analyzer {
namespace {

using kiln::testing::shell;

std::vector<uint8_t> build_id_of(const std::string& path) {
    auto id = read_elf_build_id(path);
    EXPECT_TRUE(id.ok());
    EXPECT_EQ(id.ok() ? id->size() : 0u, 20u);
    return id.ok() ? *id : std::vector<uint8_t>{};
}

LocatorOptions no_system_dirs() {
    LocatorOptions o;
    o.debug_dirs.clear();
    o.use_debuginfod = false;
    return o;
}

std::string fresh_dir(const std::string& name) {
    const std::string dir = ::testing::TempDir() + "/" + name;
    shell("rm -rf " + dir + " && mkdir -p " + dir);
    return dir;
}

TEST(BinaryLocator, RecordedPathWithMatchingBuildId) {
    BinaryLocator loc(no_system_dirs());
    auto b = loc.locate(TARGET_PIE, build_id_of(TARGET_PIE));
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, TARGET_PIE);
    EXPECT_EQ(b->found_via, "recorded path");
    EXPECT_EQ(b->debug_path, "");  // has its own DWARF
}

TEST(BinaryLocator, RebuiltFileIsRefusedNamingBothBuildIds) {
    BinaryLocator loc(no_system_dirs());
    const auto other = build_id_of(TARGET_NOPIE);  // a different build at the recorded path
    auto b = loc.locate(TARGET_PIE, other);
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error().message.find("build-id mismatch"), std::string::npos) << b.error().message;
    EXPECT_NE(b.error().message.find(format::build_id_hex(other)), std::string::npos);
    EXPECT_NE(b.error().message.find(format::build_id_hex(build_id_of(TARGET_PIE))), std::string::npos);
}

TEST(BinaryLocator, MissingFileNamesTheBuildIdAndWhereItLooked) {
    LocatorOptions o = no_system_dirs();
    o.debug_dirs = {"/nonexistent-debug"};
    BinaryLocator loc(o);
    const auto id = build_id_of(TARGET_PIE);
    auto b = loc.locate("/nonexistent/app", id);
    ASSERT_FALSE(b.ok());
    const std::string hex = format::build_id_hex(id);
    EXPECT_NE(b.error().message.find("not found (build-id " + hex + ")"), std::string::npos) << b.error().message;
    EXPECT_NE(b.error().message.find("/nonexistent-debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2)),
              std::string::npos)
        << b.error().message;
}

TEST(BinaryLocator, NoBuildIdRecordedUsesTheRecordedPath) {
    BinaryLocator loc(no_system_dirs());
    auto b = loc.locate(TARGET_PIE, {});
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->path, TARGET_PIE);
    EXPECT_NE(b->found_via.find("no build-id"), std::string::npos);
}

TEST(BinaryLocator, DebugDirectoryHoldsTheBinaryAndItsDebugFile) {
    const std::string dir = fresh_dir("debugdir");
    const auto id = build_id_of(TARGET_PIE);
    const std::string hex = format::build_id_hex(id);
    const std::string sub = dir + "/.build-id/" + hex.substr(0, 2);
    const std::string stripped = dir + "/stripped-app";
    shell("mkdir -p " + sub + " && cp " + TARGET_PIE + " " + stripped + " && objcopy --only-keep-debug " + stripped +
          " " + sub + "/" + hex.substr(2) + ".debug && strip --strip-all " + stripped);
    LocatorOptions o = no_system_dirs();
    o.debug_dirs = {dir};
    BinaryLocator loc(o);
    // The stripped binary at its recorded path, its DWARF in the .build-id tree.
    auto b = loc.locate(stripped, id);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, stripped);
    EXPECT_EQ(b->debug_path, sub + "/" + hex.substr(2) + ".debug");
    // The binary gone from its path but kept in the tree (as debuginfod caches and
    // /usr/lib/debug do).
    shell(std::string("cp ") + TARGET_PIE + " " + sub + "/" + hex.substr(2));
    auto gone = loc.locate("/nonexistent/app", id);
    ASSERT_TRUE(gone.ok()) << gone.error().message;
    EXPECT_EQ(gone->path, sub + "/" + hex.substr(2));
    EXPECT_NE(gone->found_via.find("debug directory"), std::string::npos);
}

TEST(BinaryLocator, SymfsRoot) {
    const std::string dir = fresh_dir("symfs");
    shell("mkdir -p " + dir + "/opt/app && cp " + TARGET_PIE + " " + dir + "/opt/app/server");
    LocatorOptions o = no_system_dirs();
    o.symfs = dir;
    BinaryLocator loc(o);
    auto b = loc.locate("/opt/app/server", build_id_of(TARGET_PIE));
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, dir + "/opt/app/server");
    EXPECT_EQ(b->found_via, "symfs");
}

int free_port() {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

// A real debuginfod server (elfutils' debuginfod) serving a directory that holds the binary.
TEST(BinaryLocator, DebuginfodServerWhenDebuginfodUrlsIsSet) {
    ASSERT_EQ(access("/usr/bin/debuginfod", X_OK), 0) << "the debuginfod package (server) is needed for this test";
    const std::string dir = fresh_dir("debuginfod");
    shell("mkdir -p " + dir + "/serve " + dir + "/cache && cp " + TARGET_PIE + " " + dir + "/serve/app");
    const int port = free_port();
    const pid_t server = fork();
    ASSERT_GE(server, 0);
    if (server == 0) {
        const std::string p = std::to_string(port), db = dir + "/db.sqlite", serve = dir + "/serve";
        freopen("/dev/null", "w", stderr);
        execl("/usr/bin/debuginfod", "debuginfod", "-F", "-p", p.c_str(), "-d", db.c_str(), "-t", "1",
              serve.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    setenv("DEBUGINFOD_URLS", url.c_str(), 1);
    setenv("DEBUGINFOD_TIMEOUT", "10", 1);
    LocatorOptions o = no_system_dirs();
    o.use_debuginfod = true;
    Result<LocatedBinary> b = make_error("not tried");
    // The server scans its directory after starting: ask until it knows the file, with a
    // fresh client cache each time (the client remembers misses).
    for (int i = 0; i < 120 && !b.ok(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        setenv("DEBUGINFOD_CACHE_PATH", (dir + "/cache" + std::to_string(i)).c_str(), 1);
        BinaryLocator loc(o);
        b = loc.locate("/nonexistent/app", build_id_of(TARGET_PIE));
    }
    kill(server, SIGTERM);
    waitpid(server, nullptr, 0);
    unsetenv("DEBUGINFOD_URLS");
    unsetenv("DEBUGINFOD_CACHE_PATH");
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->found_via, "debuginfod");
    EXPECT_EQ(format::build_id_hex(build_id_of(b->path)), format::build_id_hex(build_id_of(TARGET_PIE)));

    // Without DEBUGINFOD_URLS the server is not asked, and the error says how to enable it.
    BinaryLocator quiet(o);
    auto q = quiet.locate("/nonexistent/app", build_id_of(TARGET_PIE));
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.error().message.find("DEBUGINFOD_URLS"), std::string::npos) << q.error().message;
}

}  // namespace
}  // namespace kiln::analyzer
