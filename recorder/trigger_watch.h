// Watches the triggers of `kiln monitor` (trigger_spec.h) at the monitor's check interval.
// Everything is opened once: /proc files stay open and are re-read with pread into a fixed
// buffer, PSI uses the kernel's poll triggers where it can, event counts are perf counters;
// a check allocates nothing and walks no /proc directory.
//
// Use: open(); each loop, add_poll_fds() into the poll set, poll with the check interval as
// timeout, then check(now, the polled fds) (a PSI notification is consumed by the poll that
// sees it, so check() must be given the results). check() is level-triggered: it reports a
// trigger as long as its condition holds, the caller applies the cooldown, and calls rearm()
// after acting on a hit.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/result.h"
#include "pmu/tracefs_uprobes.h"
#include "recorder/trigger_spec.h"

namespace kiln::recorder {

struct TriggerTarget {
    bool system_wide = true;   // event triggers count on every CPU of cpus...
    std::vector<int> tasks;    // ...or in these pids/tids and their children (inherit), any CPU
    std::vector<int> cpus;     // system-wide only; empty: every online CPU
    std::string proc_root = "/proc";    // tests point it at fake files
    bool psi_kernel_triggers = true;    // false: always poll total= (tests with fake files)
    // The PSI triggers' window ("the last second"). The kernel takes 1 s only from a holder of
    // CAP_SYS_RESOURCE (others: whole multiples of 2 s); without it, psi triggers poll total=.
    uint64_t psi_window_us = 1'000'000;
};

struct TriggerHit {
    size_t index = 0;       // into the specs given to open()
    std::string trigger;    // the spec's text
    double value = 0;       // runnable tasks (load), percent (psi, cpu) or hits (event)
};

class TriggerWatch {
public:
    // Errors name the trigger: a missing /proc/pressure file, a pid that does not exist, an
    // event that cannot be resolved or opened. note() is told of fallbacks (PSI poll triggers
    // refused), and later of a watched process that is gone (its trigger never fires again).
    static Result<std::unique_ptr<TriggerWatch>> open(const std::vector<TriggerSpec>& specs,
                                                      const TriggerTarget& target,
                                                      const std::function<void(const std::string&)>& note);
    ~TriggerWatch();
    TriggerWatch(const TriggerWatch&) = delete;
    TriggerWatch& operator=(const TriggerWatch&) = delete;

    // Appends the fds to poll ({fd, POLLPRI}: the kernel PSI triggers); none without those.
    void add_poll_fds(std::vector<pollfd>& fds) const;

    // Samples every trigger at now (CLOCK_MONOTONIC ns) and returns the first, in spec order,
    // whose condition holds. polled: the caller's poll results (entries not ours are skipped).
    // signal triggers never hit here.
    std::optional<TriggerHit> check(uint64_t now_ns, std::span<const pollfd> polled = {});

    // After a hit: event counts restart from zero, PSI notifications seen so far are dropped.
    void rearm();

    struct Watched;  // one per spec, in trigger_watch.cpp

private:
    TriggerWatch();
    void poll_psi(std::span<const pollfd> polled, uint64_t now_ns);
    std::optional<double> value_if_holds(Watched& w, uint64_t now_ns);
    std::optional<double> psi_share(Watched& w, uint64_t now_ns, bool& full, double& avg10);
    std::optional<double> psi_polled(Watched& w, uint64_t now_ns);
    std::optional<double> psi_notified(Watched& w, uint64_t now_ns);
    std::string_view read_fd(int fd);

    pmu::TracefsUprobes probes_;  // of event triggers: first declared, destroyed after their fds
    std::vector<std::unique_ptr<Watched>> watched_;
    std::vector<pollfd> psi_fds_;  // kept for the zero-timeout poll in check()
    std::vector<char> buf_;
    std::function<void(const std::string&)> note_;
};

// /proc/loadavg for the monitor's event log.
struct LoadAverages {
    double load1 = 0, load5 = 0, load15 = 0;
    int running = 0, total = 0;  // "running/total": runnable tasks (the reader counts) and all
};
Result<LoadAverages> read_loadavg(const std::string& path = "/proc/loadavg");

}  // namespace kiln::recorder
