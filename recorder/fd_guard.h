// Closes a file descriptor on scope exit.
#pragma once

#include <unistd.h>

namespace kiln::recorder {

struct FdGuard {
    int fd = -1;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace kiln::recorder
