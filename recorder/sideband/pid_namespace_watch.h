// Which processes live in another pid namespace than kiln's (a container's), and their pids
// there (NSpid of /proc/PID/status). A process in kiln's own namespace costs one stat() of
// /proc/PID/ns/pid; only the others have their status read. Used from one thread.
#pragma once

#include <sys/types.h>

#include "formats/pid_namespaces.h"

namespace kiln::recorder::sideband {

class PidNamespaceWatch {
public:
    PidNamespaceWatch();
    // A process seen (snapshot or FORK): noted when its namespace is not ours. Gone processes
    // are left out silently.
    void observe(int pid);
    const format::PidNamespaceMap& pids() const { return pids_; }

private:
    ino_t own_ = 0;
    format::PidNamespaceMap pids_;
};

}  // namespace kiln::recorder::sideband
