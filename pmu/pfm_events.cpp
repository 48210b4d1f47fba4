#include "pmu/pfm_events.h"

#include <cstdlib>
#include <cstring>

#include "pmu/pfm_library.h"

namespace kiln::pmu {

namespace {

std::vector<std::string> collect_event_names() {
    std::vector<std::string> out;
    auto pfm = pfm_library();
    if (!pfm) return out;
    const PfmLibrary& lib = **pfm;
    for (int p = PFM_PMU_NONE; p < PFM_PMU_MAX; ++p) {
        pfm_pmu_info_t pinfo;
        std::memset(&pinfo, 0, sizeof pinfo);
        pinfo.size = sizeof pinfo;
        if (lib.get_pmu_info(static_cast<pfm_pmu_t>(p), &pinfo) != PFM_SUCCESS || !pinfo.is_present) continue;
        for (int i = pinfo.first_event; i != -1; i = lib.get_event_next(i)) {
            pfm_event_info_t info;
            std::memset(&info, 0, sizeof info);
            info.size = sizeof info;
            if (lib.get_event_info(i, PFM_OS_NONE, &info) == PFM_SUCCESS && info.name != nullptr)
                out.emplace_back(info.name);
        }
    }
    return out;
}

}  // namespace

Result<perf_event_attr> pfm_encode(std::string_view spec, bool* not_found) {
    if (not_found != nullptr) *not_found = false;
    auto pfm = pfm_library();
    if (!pfm) return pfm.error();
    const PfmLibrary& lib = **pfm;
    perf_event_attr attr{};
    pfm_perf_encode_arg_t arg;
    std::memset(&arg, 0, sizeof arg);
    arg.attr = &attr;
    arg.size = sizeof arg;
    char* fstr = nullptr;
    arg.fstr = &fstr;
    const std::string name(spec);
    const int rc = lib.get_os_event_encoding(name.c_str(), PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
    std::free(fstr);
    if (rc != PFM_SUCCESS) {
        if (not_found != nullptr) *not_found = rc == PFM_ERR_NOTFOUND;
        return make_error("libpfm4 cannot encode '" + name + "': " + lib.strerror(rc));
    }
    attr.size = sizeof attr;
    return attr;
}

const std::vector<std::string>& pfm_event_names() {
    static const std::vector<std::string> names = collect_event_names();
    return names;
}

}  // namespace kiln::pmu
