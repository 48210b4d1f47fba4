// Blocks the signals a recording loop handles and reads them from a signalfd instead; restores
// the old mask on exit.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <initializer_list>

namespace kiln::recorder {

class SignalCatcher {
public:
    explicit SignalCatcher(std::initializer_list<int> extra = {}) {
        sigset_t set;
        sigemptyset(&set);
        for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGHUP}) sigaddset(&set, s);
        for (int s : extra) sigaddset(&set, s);
        sigprocmask(SIG_BLOCK, &set, &old_);
        fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        ::signal(SIGPIPE, SIG_IGN);
    }
    ~SignalCatcher() {
        if (fd_ >= 0) ::close(fd_);
        sigprocmask(SIG_SETMASK, &old_, nullptr);
    }
    SignalCatcher(const SignalCatcher&) = delete;
    SignalCatcher& operator=(const SignalCatcher&) = delete;
    int fd() const { return fd_; }

private:
    sigset_t old_;
    int fd_ = -1;
};

}  // namespace kiln::recorder
