#include "recorder/command_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace kiln::recorder {

bool command_exists(const std::string& program) {
    auto runnable = [](const std::string& p) {
        struct stat st{};
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
    };
    if (program.find('/') != std::string::npos) return runnable(program);
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const std::string dir = end > start ? dirs.substr(start, end - start) : std::string(".");
        if (runnable(dir + "/" + program)) return true;
        start = end + 1;
    }
    return false;
}

CommandLauncher::~CommandLauncher() {
    if (go_fd_ >= 0) ::close(go_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
}

Result<pid_t> CommandLauncher::prepare(const std::vector<std::string>& argv, bool stdout_to_stderr,
                                       const std::vector<std::string>& extra_env) {
    if (argv.empty()) return make_error("no command given after --");
    program_ = argv[0];
    if (!command_exists(program_))
        return make_error("command not found: " + program_ + " (not an executable file, nor in PATH)");
    int go[2], err[2];
    if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
        return make_error(std::string("cannot create pipes for the command: ") + std::strerror(errno));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The environment is built here: the child between fork and exec may not allocate.
    std::vector<std::string> env_entries;
    for (char** e = environ; *e; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('=') + 1);
        if (std::none_of(extra_env.begin(), extra_env.end(), [&](const std::string& x) { return x.starts_with(name); }))
            env_entries.emplace_back(entry);
    }
    env_entries.insert(env_entries.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (auto& e : env_entries) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) return make_error(std::string("cannot fork for the command: ") + std::strerror(errno));
    if (pid == 0) {
        // Child: default signals, wait for the go byte, exec.
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, nullptr);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::close(go[1]);
        ::close(err[0]);
        if (stdout_to_stderr) ::dup2(STDERR_FILENO, STDOUT_FILENO);
        char c;
        ssize_t n;
        do {
            n = ::read(go[0], &c, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1) _exit(127);  // the recorder gave up
        ::execvpe(args[0], args.data(), envp.data());
        int e = errno;
        ssize_t w = ::write(err[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    ::close(go[0]);
    ::close(err[1]);
    go_fd_ = go[1];
    err_fd_ = err[0];
    pid_ = pid;
    return pid;
}

Status CommandLauncher::start() {
    char c = 1;
    if (::write(go_fd_, &c, 1) != 1)
        return make_error(std::string("cannot start the command: ") + std::strerror(errno));
    ::close(go_fd_);
    go_fd_ = -1;
    int e = 0;
    ssize_t n;
    do {
        n = ::read(err_fd_, &e, sizeof e);
    } while (n < 0 && errno == EINTR);
    ::close(err_fd_);
    err_fd_ = -1;
    if (n == static_cast<ssize_t>(sizeof e)) {
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        return make_error("cannot run " + program_ + ": " + std::strerror(e));
    }
    return {};
}

void CommandLauncher::abandon() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

}  // namespace kiln::recorder
