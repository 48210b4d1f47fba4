// The conditions of `kiln monitor --trigger SPEC`, parsed without touching the system
// (trigger_watch.h opens and checks them). The forms:
//   load>=N                  runnable tasks now (/proc/loadavg "running/total"), N >= 1
//   psi:RES[.full]>=P%       RES = cpu | memory | io: stall share over the last second,
//                            0 < P <= 100 ("some" unless .full; cpu has no system-wide full)
//   cpu:PID>=P%              CPU use of a process over the last second, all its threads
//                            (above 100% with several threads, like top)
//   signal                   SIGUSR2 to kiln (handled by the monitor's loop, not here)
//   event:EVENT[/N]          a tracepoint (subsys:name) or uprobe (uprobe:PATH:SYMBOL...)
//                            hit N times (default 1) since the last rearm
// Only ">=" is accepted: for task counts ">N" would mean ">=N+1", and taking it as a synonym
// would be silently off by one, so it is an error that names ">=".
#pragma once

#include <string>
#include <string_view>

#include "formats/result.h"

namespace kiln::recorder {

enum class TriggerKind { kLoad, kPsi, kCpuShare, kSignal, kEvent };
enum class PsiResource { kCpu, kMemory, kIo };

struct TriggerSpec {
    TriggerKind kind = TriggerKind::kSignal;
    std::string text;          // as given on the command line
    double threshold = 0;      // tasks (load), percent (psi, cpu) or hits (event)
    PsiResource resource = PsiResource::kCpu;  // psi only
    bool full = false;         // psi only: the "full" line instead of "some"
    int pid = 0;               // cpu only
    std::string event;         // event only: the event spec without "/N"
};

Result<TriggerSpec> parse_trigger(std::string_view text);

// "cpu pressure (some) >= 50% of the last second": for the monitor's messages and event log.
std::string describe(const TriggerSpec& spec);

// "cpu", "memory", "io": the name of the file under /proc/pressure.
const char* psi_resource_name(PsiResource resource);

}  // namespace kiln::recorder
