#include "tests/tools/kiln_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace kiln::test {

namespace {

std::vector<char*> c_args(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

}  // namespace

RunResult run(const std::vector<std::string>& argv, int uid) {
    int out[2], err[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
    auto args = c_args(argv);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (uid >= 0 && (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(uid)) != 0 ||
                         setuid(static_cast<uid_t>(uid)) != 0))
            _exit(126);
        execv(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    RunResult r;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) break;
        for (auto& f : fds) {
            if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP))) continue;
            ssize_t n = read(f.fd, buf, sizeof buf);
            if (n <= 0) {
                close(f.fd);
                f.fd = -1;
                --open_fds;
                continue;
            }
            (f.fd == fds[0].fd ? r.out : r.err).append(buf, static_cast<size_t>(n));
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& stderr_path) {
    auto args = c_args(argv);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) dup2(fd, 2);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        execv(args[0], args.data());
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

int wait_for(pid_t pid, double* cpu_s) {
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    if (cpu_s != nullptr)
        *cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    return status;
}

RunResult run_kiln(std::vector<std::string> args) {
    args.insert(args.begin(), kiln_bin());
    return run(args);
}

std::string kiln_bin() { return KILN_BIN; }
std::string workload(const std::string& name) { return std::string(WORKLOAD_DIR) + "/" + name; }

nlohmann::json analyze_json(const std::string& file, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"analyze", file, "--json", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_kiln(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
}

nlohmann::json info_json(const std::string& recording) {
    auto r = run({kiln_bin(), "info", "--json", recording});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "kiln info --json printed invalid JSON: " << e.what() << "\n" << r.out;
        return {};
    }
}

uint64_t samples_of_pid(const nlohmann::json& info, int pid) {
    if (!info.contains("processes")) return 0;
    for (const auto& p : info["processes"])
        if (p["pid"].get<int>() == pid) return p["samples"].get<uint64_t>();
    return 0;
}

RunResult run_perf(const std::vector<std::string>& argv) {
    RunResult r;
    for (int attempt = 0; attempt < 6; ++attempt) {
        r = run(argv);
        if (r.exit_code == 0 || r.err.find("util/build-id.c") == std::string::npos) break;
    }
    return r;
}

std::string read_text(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::map<std::string, double> parse_folded(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const size_t sp = line.rfind(' ');
        if (sp == std::string::npos) continue;
        out[line.substr(0, sp)] += std::atof(line.c_str() + sp + 1);
    }
    return out;
}

double cpu_seconds_of(int pid, int tid) {
    const std::string path = "/proc/" + std::to_string(pid) + (tid ? "/task/" + std::to_string(tid) : "") + "/stat";
    std::string stat = read_text(path);
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(paren + 2));
    std::string f;
    double utime = 0, stime = 0;
    for (int i = 3; fields >> f; ++i) {  // field 3 is the state; 14 and 15 are utime and stime
        if (i == 14) utime = std::atof(f.c_str());
        if (i == 15) {
            stime = std::atof(f.c_str());
            break;
        }
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool wait_until(const std::function<bool()>& cond, double timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!cond()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

uint64_t kill_when_on_disk(pid_t kiln, const std::string& out, uint64_t samples, const std::string& err_file) {
    uint64_t on_disk = 0;
    EXPECT_TRUE(wait_until([&] {
        auto live = run({kiln_bin(), "info", "--json", out});
        if (live.exit_code != 0) return false;
        on_disk = nlohmann::json::parse(live.out)["samples"].get<uint64_t>();
        return on_disk >= samples;
    })) << "samples on disk: " << on_disk << "\n" << read_text(err_file);
    ::kill(-kiln, SIGKILL);
    wait_for(kiln);
    return on_disk;
}

CpuWindow::CpuWindow(int p, int t)
    : pid(p), tid(t), cpu_before(cpu_seconds_of(p, t)), wall_before(std::chrono::steady_clock::now()) {}

double CpuWindow::cpu_during(double recording_seconds) const {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
    const double cpu = cpu_seconds_of(pid, tid) - cpu_before;
    return wall > 0 ? cpu * std::min(1.0, recording_seconds / wall) : 0;
}

}  // namespace kiln::test
