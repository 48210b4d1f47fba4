#include "pmu/pfm_events.h"

// linux/perf_event.h (through pfm_events.h) first: libpfm's copy of the perf ABI then
// steps aside.
#include <perfmon/pfmlib_perf_event.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace kiln::pmu {

namespace {

Status initialize() {
    static std::once_flag once;
    static int rc = PFM_SUCCESS;
    std::call_once(once, [] { rc = pfm_initialize(); });
    if (rc != PFM_SUCCESS) return make_error(std::string("libpfm4 failed to initialize: ") + pfm_strerror(rc));
    return {};
}

std::vector<std::string> collect_event_names() {
    std::vector<std::string> out;
    if (!initialize().ok()) return out;
    for (int p = PFM_PMU_NONE; p < PFM_PMU_MAX; ++p) {
        pfm_pmu_info_t pinfo;
        std::memset(&pinfo, 0, sizeof pinfo);
        pinfo.size = sizeof pinfo;
        if (pfm_get_pmu_info(static_cast<pfm_pmu_t>(p), &pinfo) != PFM_SUCCESS || !pinfo.is_present) continue;
        for (int i = pinfo.first_event; i != -1; i = pfm_get_event_next(i)) {
            pfm_event_info_t info;
            std::memset(&info, 0, sizeof info);
            info.size = sizeof info;
            if (pfm_get_event_info(i, PFM_OS_NONE, &info) == PFM_SUCCESS && info.name != nullptr)
                out.emplace_back(info.name);
        }
    }
    return out;
}

}  // namespace

Result<perf_event_attr> pfm_encode(std::string_view spec, bool* not_found) {
    if (not_found != nullptr) *not_found = false;
    KILN_TRY(initialize());
    perf_event_attr attr{};
    pfm_perf_encode_arg_t arg;
    std::memset(&arg, 0, sizeof arg);
    arg.attr = &attr;
    arg.size = sizeof arg;
    char* fstr = nullptr;
    arg.fstr = &fstr;
    const std::string name(spec);
    const int rc = pfm_get_os_event_encoding(name.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
    std::free(fstr);
    if (rc != PFM_SUCCESS) {
        if (not_found != nullptr) *not_found = rc == PFM_ERR_NOTFOUND;
        return make_error("libpfm4 cannot encode '" + name + "': " + pfm_strerror(rc));
    }
    attr.size = sizeof attr;
    return attr;
}

const std::vector<std::string>& pfm_event_names() {
    static const std::vector<std::string> names = collect_event_names();
    return names;
}

const std::vector<std::string>& generic_hardware_event_names() {
    static const std::vector<std::string> names = {"cycles",        "instructions",        "cache-references",
                                                   "cache-misses",  "branch-instructions", "branch-misses",
                                                   "bus-cycles",    "ref-cycles"};
    return names;
}

}  // namespace kiln::pmu
