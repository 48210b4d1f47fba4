#include "pmu/event_modifiers.h"

#include <string>

namespace kiln::pmu {

Result<EventModifiers> parse_event_modifiers(std::string_view mods) {
    EventModifiers m;
    if (mods.empty()) return m;
    // With a modifier string perf starts from "nothing excluded" and builds up.
    bool eu = false, ek = false, eh = false, eG = false, eH = false;
    bool privilege_given = false, guest_host_given = false;
    int precise = 0;
    auto exclude_all_privileges = [&] {
        if (!privilege_given) privilege_given = eu = ek = eh = true;
    };
    auto exclude_guest_and_host = [&] {
        if (!guest_host_given) guest_host_given = eG = eH = true;
    };
    for (const char c : mods) {
        switch (c) {
            case 'u':
                exclude_all_privileges();
                if (!guest_host_given) eG = true;
                eu = false;
                break;
            case 'k':
                exclude_all_privileges();
                ek = false;
                break;
            case 'h':
                exclude_all_privileges();
                eh = false;
                break;
            case 'G':
                exclude_guest_and_host();
                eG = false;
                break;
            case 'H':
                exclude_guest_and_host();
                eH = false;
                break;
            case 'p':
                ++precise;
                if (!guest_host_given) eG = true;  // precise sampling requires exclude_guest
                break;
            case 'I': m.exclude_idle = true; break;
            default:
                return make_error("unknown event modifier '" + std::string(1, c) + "' in ':" + std::string(mods) +
                                  "': kiln takes u (user), k (kernel), h (hypervisor), G (guest), H (host), "
                                  "p (precise, up to ppp) and I (exclude idle)");
        }
    }
    if (precise > 3)
        return make_error("':" + std::string(mods) + "' asks for precise level " + std::to_string(precise) +
                          "; the highest is 3 (ppp)");
    m.exclude_user = eu;
    m.exclude_kernel = ek;
    m.exclude_hv = eh;
    m.exclude_guest = eG;
    m.exclude_host = eH;
    m.precise_ip = static_cast<uint8_t>(precise);
    return m;
}

void apply_event_modifiers(const EventModifiers& m, perf_event_attr& attr) {
    attr.exclude_user = m.exclude_user;
    attr.exclude_kernel = m.exclude_kernel;
    attr.exclude_hv = m.exclude_hv;
    attr.exclude_guest = m.exclude_guest;
    attr.exclude_host = m.exclude_host;
    attr.exclude_idle = m.exclude_idle;
    attr.precise_ip = m.precise_ip;
}

}  // namespace kiln::pmu
