#include "pmu/pfm_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace kiln::pmu {

namespace {

// Resolves one symbol into fn; false (with *error set) when the library lacks it.
template <typename Fn>
bool resolve(void* handle, const char* name, Fn& fn, std::string* error) {
    fn = reinterpret_cast<Fn>(dlsym(handle, name));
    if (fn != nullptr) return true;
    *error = std::string(kPfmSoname) + " has no " + name;
    return false;
}

Result<PfmLibrary> load() {
    void* handle = dlopen(kPfmSoname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        return make_error(std::string("libpfm4 is needed for this event but could not be loaded (") +
                          (why != nullptr ? why : kPfmSoname) + "); install Debian's libpfm4 package");
    }
    PfmLibrary lib{};
    std::string error;
    if (!resolve(handle, "pfm_initialize", lib.initialize, &error) ||
        !resolve(handle, "pfm_strerror", lib.strerror, &error) ||
        !resolve(handle, "pfm_get_pmu_info", lib.get_pmu_info, &error) ||
        !resolve(handle, "pfm_get_event_next", lib.get_event_next, &error) ||
        !resolve(handle, "pfm_get_event_info", lib.get_event_info, &error) ||
        !resolve(handle, "pfm_get_os_event_encoding", lib.get_os_event_encoding, &error)) {
        dlclose(handle);
        return make_error("libpfm4 is not usable: " + error);
    }
    const int rc = lib.initialize();
    if (rc != PFM_SUCCESS) return make_error(std::string("libpfm4 failed to initialize: ") + lib.strerror(rc));
    return lib;  // the handle stays open for the life of the process
}

}  // namespace

Result<const PfmLibrary*> pfm_library() {
    static std::once_flag once;
    static Result<PfmLibrary> loaded = make_error("libpfm4 not loaded");
    std::call_once(once, [] { loaded = load(); });
    if (!loaded) return loaded.error();
    return &*loaded;
}

}  // namespace kiln::pmu
