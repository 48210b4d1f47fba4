// The sched, syscalls and portrait views as text tables for a terminal, and as CSV (one row
// per thread, per process and syscall, per process).
#pragma once

#include <ostream>

#include "analyzer/sched/trace_report.h"

namespace kiln::analyzer {

void write_sched_text(const SchedReport& r, std::ostream& out);
void write_syscalls_text(const SyscallsReport& r, std::ostream& out);
void write_portrait_text(const PortraitReport& r, std::ostream& out);

void write_sched_csv(const SchedReport& r, std::ostream& out);
void write_syscalls_csv(const SyscallsReport& r, std::ostream& out);
void write_portrait_csv(const PortraitReport& r, std::ostream& out);

}  // namespace kiln::analyzer
