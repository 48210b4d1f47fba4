// libpfm4, loaded the first time an event needs it (dlopen), not linked into kiln.
//
// Why: libpfm4's event tables hold ~41k pointers. Linked, the dynamic loader relocates
// them at every start, which copies ~1 MB of its pages: ~5 ms of CPU for every `kiln`
// run, measured, though most recordings never use it (software and generic hardware
// events, tracepoints and uprobes are resolved without it).
#pragma once

#include <linux/perf_event.h>
// linux/perf_event.h first: libpfm's copy of the perf ABI then steps aside.
#include <perfmon/pfmlib_perf_event.h>

#include "formats/result.h"

namespace kiln::pmu {

// The libpfm4 functions kiln calls, resolved from the shared library.
struct PfmLibrary {
    decltype(&::pfm_initialize) initialize;
    decltype(&::pfm_strerror) strerror;
    decltype(&::pfm_get_pmu_info) get_pmu_info;
    decltype(&::pfm_get_event_next) get_event_next;
    decltype(&::pfm_get_event_info) get_event_info;
    decltype(&::pfm_get_os_event_encoding) get_os_event_encoding;
};

// The soname of libpfm4's ABI (Debian package libpfm4).
inline constexpr const char* kPfmSoname = "libpfm.so.4";

// Loads libpfm4 and runs pfm_initialize once; later calls return the same table, or the
// same error (which names the library and why it could not be used).
Result<const PfmLibrary*> pfm_library();

}  // namespace kiln::pmu
