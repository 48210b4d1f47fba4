// The sched, syscalls and portrait views as JSON (the documented keys first; README).
#pragma once

#include <ostream>

#include "analyzer/sched/trace_report.h"

namespace kiln::analyzer {

void write_sched_json(const SchedReport& r, std::ostream& out);
void write_syscalls_json(const SyscallsReport& r, std::ostream& out);
void write_portrait_json(const PortraitReport& r, std::ostream& out);

}  // namespace kiln::analyzer
