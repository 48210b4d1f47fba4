// The counter side of the anomalies view: the machine series of the timeline (run queue, CPU
// busy, pressure, syscalls, faults and off-CPU time per window, over the same windows as the
// stacks) through the univariate streaming detector; consecutive anomalous windows of a series
// are one range. Each series has a smallest meaningful move by its unit (min_change_of). A last
// window that runs past the recording's end (the end of report.windows) is not judged.
#pragma once

#include "analyzer/anomaly/anomaly_report.h"
#include "analyzer/timeline/timeline.h"

namespace kiln::analyzer {

// The series looked at, in this order, then the resident memory (process.PID.rss) of the
// kAnomalyRssProcesses processes that held the most; others (per-process CPU and I/O, per CPU,
// the kernel's slow load averages) are not.
inline constexpr const char* kAnomalySeries[] = {"load.running", "load.blocked", "cpu.busy", "psi.cpu.some",
                                                 "psi.memory.some", "psi.io.some", "syscalls", "faults", "offcpu"};
inline constexpr size_t kAnomalyRssProcesses = 8;

void add_counter_anomalies(AnomalyReport& report, const Timeline& timeline, Sensitivity sensitivity);

}  // namespace kiln::analyzer
