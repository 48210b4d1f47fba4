// Binaries absent from disk, fetched by build-id from a real debuginfod server (elfutils'
// debuginfod, started here on a free port over a directory of test binaries).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "analyzer/symbolize/binary_locator.h"
#include "analyzer/symbolize/dwarf_symbolizer.h"
#include "formats/sideband.h"
#include "tests/analyzer/symbolize/elf_test_util.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

using kiln::testing::shell;

std::vector<uint8_t> build_id_of(const std::string& path) {
    auto id = read_elf_build_id(path);
    EXPECT_TRUE(id.ok()) << path;
    return id.ok() ? *id : std::vector<uint8_t>{};
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int free_port() {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (s >= 0) close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

// `debuginfod -F DIR` on a free port, killed (and reaped) when the test ends however it ends.
// DEBUGINFOD_URLS and DEBUGINFOD_CACHE_PATH point the client at it and at a private cache.
class DebuginfodServer {
public:
    explicit DebuginfodServer(const std::string& dir) : dir_(dir), log_(dir + "/server.log") {
        port_ = free_port();
        if (port_ <= 0) return;
        pid_ = fork();
        if (pid_ == 0) {
            const std::string p = std::to_string(port_), db = dir + "/db.sqlite", serve = dir + "/serve";
            if (!freopen(log_.c_str(), "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(126);
            // -F: index ELF/DWARF files under serve; -t 1: rescan every second.
            execl("/usr/bin/debuginfod", "debuginfod", "-F", "-p", p.c_str(), "-d", db.c_str(), "-t", "1", "-L",
                  serve.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        setenv("DEBUGINFOD_URLS", url().c_str(), 1);
        setenv("DEBUGINFOD_TIMEOUT", "10", 1);
    }
    ~DebuginfodServer() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
        unsetenv("DEBUGINFOD_URLS");
        unsetenv("DEBUGINFOD_CACHE_PATH");
        unsetenv("DEBUGINFOD_TIMEOUT");
    }
    DebuginfodServer(const DebuginfodServer&) = delete;
    DebuginfodServer& operator=(const DebuginfodServer&) = delete;

    bool started() const { return pid_ > 0; }
    bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string log() const { return read_text(log_); }

    // Asks until the server has indexed the build-id (it scans its directory after starting),
    // each time with a fresh client cache (the client remembers misses) and a fresh locator.
    Result<LocatedBinary> locate_when_indexed(const std::string& recorded_path, std::span<const uint8_t> id) {
        LocatorOptions o;
        o.debug_dirs.clear();
        o.use_debuginfod = true;
        Result<LocatedBinary> b = make_error("server never answered");
        for (int i = 0; i < 120 && running(); ++i) {
            setenv("DEBUGINFOD_CACHE_PATH", (dir_ + "/cache" + std::to_string(i)).c_str(), 1);
            BinaryLocator loc(o);
            b = loc.locate(recorded_path, id);
            if (b.ok()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        return b;
    }

private:
    std::string dir_, log_;
    int port_ = -1;
    pid_t pid_ = -1;
};

TEST(Debuginfod, ExecutableAbsentFromDiskIsFetched) {
    ASSERT_EQ(access("/usr/bin/debuginfod", X_OK), 0) << "the debuginfod package (server) is needed for this test";
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    shell("mkdir -p " + dir + "/serve");
    shell(std::string("cp ") + TARGET_PIE + " " + dir + "/serve/app");
    DebuginfodServer server(dir);
    ASSERT_TRUE(server.started()) << "no free port or fork failed";
    const auto id = build_id_of(TARGET_PIE);
    auto b = server.locate_when_indexed("/nonexistent/app", id);
    ASSERT_TRUE(b.ok()) << b.error().message << "\nserver log:\n" << server.log();
    EXPECT_EQ(b->found_via, "debuginfod");
    EXPECT_EQ(b->path.rfind(dir + "/cache", 0), 0u) << b->path;  // in the client cache
    EXPECT_EQ(format::build_id_hex(build_id_of(b->path)), format::build_id_hex(id));
    EXPECT_EQ(b->debug_path, "");  // the served executable has its DWARF
}

// A stripped executable and its debug file, both only on the server: names and lines still come.
TEST(Debuginfod, StrippedExecutableAndItsDebugInfo) {
    ASSERT_EQ(access("/usr/bin/debuginfod", X_OK), 0) << "the debuginfod package (server) is needed for this test";
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    shell("mkdir -p " + dir + "/serve");
    shell(std::string("cp ") + TARGET_NOPIE + " " + dir + "/serve/app && cd " + dir +
          "/serve && objcopy --only-keep-debug app app.debug && strip --strip-all app");
    DebuginfodServer server(dir);
    ASSERT_TRUE(server.started());
    const auto id = build_id_of(TARGET_NOPIE);
    auto b = server.locate_when_indexed("/nonexistent/app", id);
    ASSERT_TRUE(b.ok()) << b.error().message << "\nserver log:\n" << server.log();
    EXPECT_EQ(b->found_via, "debuginfod");
    ASSERT_NE(b->debug_path, "") << "debuginfo not fetched";
    EXPECT_EQ(format::build_id_hex(build_id_of(b->debug_path)), format::build_id_hex(id));
    EXPECT_TRUE(elf_has_debug_info(b->debug_path));
    EXPECT_FALSE(elf_has_debug_info(b->path));

    auto syms = BinarySymbols::open(*b);
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    EXPECT_TRUE((*syms)->has_dwarf());
    const auto spin = kiln::testing::find_symbol(TARGET_NOPIE, "_ZN4demo6Widget4spinEi");
    const auto& frames = (*syms)->resolve(kiln::testing::file_offset_of(TARGET_NOPIE, spin.vaddr));
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.back().function, "demo::Widget::spin(int)");
    EXPECT_EQ(frames.back().function_start_line, kiln::testing::marker_line(TARGET_SOURCE, "LINE:spin_def"));
}

TEST(Debuginfod, NotAskedWithoutDebuginfodUrls) {
    unsetenv("DEBUGINFOD_URLS");
    LocatorOptions o;
    o.debug_dirs.clear();
    BinaryLocator loc(o);
    auto q = loc.locate("/nonexistent/app", build_id_of(TARGET_PIE));
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.error().message.find("set DEBUGINFOD_URLS"), std::string::npos) << q.error().message;
}

}  // namespace
}  // namespace kiln::analyzer
