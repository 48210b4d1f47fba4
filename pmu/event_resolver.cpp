#include "pmu/event_resolver.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pmu/pfm_events.h"
#include "pmu/software_events.h"
#include "pmu/suggest.h"
#include "pmu/tracepoints.h"

namespace kiln::pmu {

namespace {

bool is_cycles(std::string_view s) {
    return s == "cycles" || s == "cpu-cycles" || s == "PERF_COUNT_HW_CPU_CYCLES";
}

// Splits "name:uk" into the name and perf's privilege modifiers.
struct Modifiers {
    std::string_view name;
    bool user_only = false;
    bool kernel_only = false;
};

Modifiers split_modifiers(std::string_view spec) {
    Modifiers m{spec};
    size_t colon = spec.rfind(':');
    if (colon == std::string_view::npos) return m;
    std::string_view mods = spec.substr(colon + 1);
    if (mods.empty() || mods.find_first_not_of("uk") != std::string_view::npos) return m;
    m.name = spec.substr(0, colon);
    m.user_only = mods.find('u') != std::string_view::npos && mods.find('k') == std::string_view::npos;
    m.kernel_only = mods.find('k') != std::string_view::npos && mods.find('u') == std::string_view::npos;
    return m;
}

// Opens the event on this thread, disabled, to learn whether the machine can count it.
int probe(const perf_event_attr& attr) {
    perf_event_attr a = attr;
    a.disabled = 1;
    int fd = static_cast<int>(::syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno;
}

ResolvedEvent software(const SoftwareEvent& sw, const Modifiers& m, std::string_view spec) {
    ResolvedEvent ev;
    ev.name = std::string(sw.name) + (spec.size() > m.name.size() ? std::string(spec.substr(m.name.size())) : "");
    ev.requested = std::string(spec);
    ev.kind = EventKind::kSoftware;
    ev.attr.size = sizeof(perf_event_attr);
    ev.attr.type = PERF_TYPE_SOFTWARE;
    ev.attr.config = sw.config;
    ev.attr.exclude_kernel = m.user_only;
    ev.attr.exclude_user = m.kernel_only;
    ev.is_clock = sw.config == PERF_COUNT_SW_CPU_CLOCK || sw.config == PERF_COUNT_SW_TASK_CLOCK;
    return ev;
}

// perf_event_paranoid >= 2 still allows user-space-only sampling of one's own processes:
// fall back to it, as perf does, rather than fail.
Status allow_user_only(ResolvedEvent& ev) {
    int err = probe(ev.attr);
    if (err != EACCES && err != EPERM) return {};
    if (!ev.attr.exclude_kernel) {
        perf_event_attr user = ev.attr;
        user.exclude_kernel = 1;
        user.exclude_hv = 1;
        // Other failures (no PMU) are for the caller to handle with the user-only attr.
        if (const int user_err = probe(user); user_err != EACCES && user_err != EPERM) {
            ev.attr = user;
            std::string msg = "not permitted to sample kernel mode (/proc/sys/kernel/perf_event_paranoid); recording "
                              "'" + ev.name + "' in user space only. Run as root or grant CAP_PERFMON for kernel frames";
            ev.note = ev.note.empty() ? msg : ev.note + "; " + msg;
            return {};
        }
    }
    return make_error("not permitted to use event '" + ev.name +
                      "': run as root, grant CAP_PERFMON, or lower /proc/sys/kernel/perf_event_paranoid");
}

Error unknown_event(std::string_view spec) {
    std::vector<std::string> names = {"cycles", "instructions", "cache-references", "cache-misses",
                                      "branch-instructions", "branch-misses", "bus-cycles", "ref-cycles"};
    for (const auto& sw : software_events()) {
        names.emplace_back(sw.name);
        if (sw.alias) names.emplace_back(sw.alias);
    }
    for (auto& n : pfm_event_names()) names.push_back(std::move(n));
    auto close = closest_names(split_modifiers(spec).name, names);
    std::string msg = "unknown event '" + std::string(spec) + "'";
    if (!close.empty()) {
        msg += "; did you mean:";
        for (size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : " ") + close[i];
        msg += "?";
    }
    return make_error(msg + " Run `kiln list` to see the events available here.");
}

}  // namespace

Result<ResolvedEvent> encode_pfm_event(std::string_view spec) {
    auto attr = pfm_encode(spec);
    if (!attr) return attr.error();
    ResolvedEvent ev;
    ev.name = std::string(spec);
    ev.requested = ev.name;
    ev.attr = *attr;
    ev.kind = (attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE) ? EventKind::kHardware
              : attr->type == PERF_TYPE_SOFTWARE                                      ? EventKind::kSoftware
                                                                                      : EventKind::kRawPmu;
    ev.is_clock = attr->type == PERF_TYPE_SOFTWARE &&
                  (attr->config == PERF_COUNT_SW_CPU_CLOCK || attr->config == PERF_COUNT_SW_TASK_CLOCK);
    return ev;
}

Result<ResolvedEvent> resolve_event(std::string_view spec) {
    if (spec.empty()) return make_error("empty event name; run `kiln list` to see the events available here");
    const Modifiers m = split_modifiers(spec);
    if (auto sw = find_software_event(m.name)) {
        ResolvedEvent ev = software(*sw, m, spec);
        KILN_TRY(allow_user_only(ev));
        return ev;
    }

    // subsys:name where subsys is a tracefs subsystem.
    const size_t colon = spec.find(':');
    if (colon != std::string_view::npos) {
        std::string_view sub = spec.substr(0, colon);
        bool is_subsystem = false;
        for (const auto& [s, n] : tracepoint_subsystems()) is_subsystem |= s == sub;
        if (is_subsystem) {
            auto id = tracepoint_id(sub, spec.substr(colon + 1));
            if (!id) return id.error();
            ResolvedEvent ev;
            ev.name = ev.requested = std::string(spec);
            ev.kind = EventKind::kTracepoint;
            ev.attr.size = sizeof(perf_event_attr);
            ev.attr.type = PERF_TYPE_TRACEPOINT;
            ev.attr.config = *id;
            return ev;
        }
    }

    auto ev = encode_pfm_event(spec);
    if (!ev) {
        // "foo:bar" that is neither a PMU event nor an existing subsystem: say both.
        if (colon != std::string_view::npos && spec.find("::") == std::string_view::npos) {
            auto id = tracepoint_id(spec.substr(0, colon), spec.substr(colon + 1));
            if (!id) return id.error();
        }
        return unknown_event(spec);
    }
    KILN_TRY(allow_user_only(*ev));
    const int err = probe(ev->attr);
    if (err == 0) return ev;
    if (is_cycles(m.name)) {
        auto fallback = software(*find_software_event("cpu-clock"), Modifiers{"cpu-clock", m.user_only, m.kernel_only},
                                 "cpu-clock");
        fallback.requested = std::string(spec);
        fallback.note = "no hardware PMU here (" + std::string(spec) + ": " + std::strerror(err) +
                        "); falling back to cpu-clock";
        KILN_TRY(allow_user_only(fallback));
        return fallback;
    }
    return make_error("event '" + std::string(spec) + "' cannot be counted on this machine (" + std::strerror(err) +
                      "): no hardware PMU or no such counter here; software events such as cpu-clock, "
                      "task-clock and page-faults work everywhere. Run `kiln list`.");
}

}  // namespace kiln::pmu
