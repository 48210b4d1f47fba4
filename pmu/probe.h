// Asks the kernel whether this machine can count an event: opens it, disabled, on the
// calling thread and closes it again.
#pragma once

#include <linux/perf_event.h>

#include <cerrno>

namespace kiln::pmu {

// 0 when the kernel accepted the event, else the errno of perf_event_open.
int probe_event(const perf_event_attr& attr);

// The errnos perf_event_open gives for an event no PMU here can count (most VMs).
inline bool is_no_pmu_errno(int err) { return err == ENOENT || err == EOPNOTSUPP || err == ENODEV; }
inline bool is_permission_errno(int err) { return err == EACCES || err == EPERM; }

}  // namespace kiln::pmu
