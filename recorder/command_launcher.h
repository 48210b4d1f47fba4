// Starts `-- CMD ARGS` the way perf does: fork, let the child wait until the counters are
// open (they are enabled at its exec), then exec. Exec failures come back to the parent
// through a close-on-exec pipe so "command not found" is one clear error.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "formats/result.h"

namespace kiln::recorder {

class CommandLauncher {
public:
    ~CommandLauncher();
    // Forks the child, which blocks before exec. The child gets the default signal mask; with
    // stdout_to_stderr its standard output is its standard error (as perf does with -o -: the
    // recording goes to kiln's standard output, the command's output must not mix into it).
    // extra_env: NAME=VALUE entries set in the command's environment (replacing the same names).
    Result<pid_t> prepare(const std::vector<std::string>& argv, bool stdout_to_stderr = false,
                          const std::vector<std::string>& extra_env = {});
    // Lets the child exec; fails if exec failed (the child is reaped then).
    Status start();
    pid_t pid() const { return pid_; }
    // Kills a child that never got to exec (for error paths).
    void abandon();

private:
    pid_t pid_ = -1;
    int go_fd_ = -1;      // parent writes one byte to release the child
    int err_fd_ = -1;     // child writes errno if exec fails
    std::string program_;
};

// Resolves a program name the way execvp would, for an early, clear error.
bool command_exists(const std::string& program);

}  // namespace kiln::recorder
