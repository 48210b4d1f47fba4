#include "pmu/probe.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kiln::pmu {

int probe_event(const perf_event_attr& attr) {
    perf_event_attr a = attr;
    a.size = sizeof a;
    a.disabled = 1;
    const int fd = static_cast<int>(::syscall(SYS_perf_event_open, &a, 0 /*self*/, -1 /*any cpu*/, -1, 0));
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

}  // namespace kiln::pmu
