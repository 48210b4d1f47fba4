// resolve_event: uprobes → software table → generic hardware table → tracefs → libpfm4, then a probe of the kernel
// decides between the event itself, a user-space-only variant, the cpu-clock fallback or an error.
#include "pmu/event_resolver.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "pmu/event_modifiers.h"
#include "pmu/hardware_events.h"
#include "pmu/pfm_events.h"
#include "pmu/probe.h"
#include "pmu/software_events.h"
#include "pmu/suggest.h"
#include "pmu/tracepoints.h"
#include "pmu/uprobes.h"

namespace kiln::pmu {

namespace {

constexpr const char* kParanoidPath = "/proc/sys/kernel/perf_event_paranoid";
constexpr const char* kSeeKilnList = "Run `kiln list` to see the events available here.";

// msg, then the pointer to `kiln list` as a sentence of its own.
Error with_kiln_list(std::string msg) {
    if (!msg.empty() && msg.back() != '?' && msg.back() != '.') msg += '.';
    return make_error(msg + " " + kSeeKilnList);
}

// Splits "name:MODS" into the name and perf's modifier letters when MODS is made of them only;
// otherwise the whole spec is the name ("sched:sched_switch").
struct NameAndModifiers {
    std::string_view name;
    std::string_view mods;
    bool any() const { return !mods.empty(); }
};

NameAndModifiers split_modifiers(std::string_view spec) {
    const size_t colon = spec.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return {spec, {}};
    const std::string_view mods = spec.substr(colon + 1);
    if (mods.empty() || mods.find_first_not_of(kModifierLetters) != std::string_view::npos) return {spec, {}};
    return {spec.substr(0, colon), mods};
}

// A software or generic hardware event of kiln's tables with perf's modifiers applied.
Result<ResolvedEvent> table_event(std::string_view canonical, uint32_t type, uint64_t config, std::string_view mods,
                                  std::string_view requested) {
    auto m = parse_event_modifiers(mods);
    if (!m) return make_error("event '" + std::string(requested) + "': " + m.error().message);
    ResolvedEvent ev;
    ev.name = std::string(canonical);
    if (!mods.empty()) ev.name.append(":").append(mods);
    ev.requested = std::string(requested);
    ev.kind = type == PERF_TYPE_HARDWARE ? EventKind::kHardware : EventKind::kSoftware;
    ev.attr.size = sizeof(perf_event_attr);
    ev.attr.type = type;
    ev.attr.config = config;
    apply_event_modifiers(*m, ev.attr);
    ev.is_clock = type == PERF_TYPE_SOFTWARE && (config == PERF_COUNT_SW_CPU_CLOCK || config == PERF_COUNT_SW_TASK_CLOCK);
    return ev;
}

// cpu-clock with the privilege bits the hardware event asked for (precise_ip has no meaning
// for a software clock and is dropped).
ResolvedEvent cpu_clock_fallback(const perf_event_attr& wanted, std::string_view spec, int err) {
    ResolvedEvent ev;
    ev.name = "cpu-clock";
    ev.requested = std::string(spec);
    ev.kind = EventKind::kSoftware;
    ev.is_clock = true;
    ev.attr = wanted;
    ev.attr.type = PERF_TYPE_SOFTWARE;
    ev.attr.config = PERF_COUNT_SW_CPU_CLOCK;
    ev.attr.precise_ip = 0;
    if (wanted.exclude_kernel && !wanted.exclude_user) ev.name += ":u";
    if (wanted.exclude_user && !wanted.exclude_kernel) ev.name += ":k";
    ev.note = "no hardware PMU here (" + std::string(spec) + " not supported: " + std::strerror(err) +
              "); falling back to cpu-clock";
    return ev;
}

// The generic "cycles" event in any spelling (cycles, cpu-cycles, perf::cycles, cycles:u).
bool is_generic_cycles(const perf_event_attr& attr) {
    return attr.type == PERF_TYPE_HARDWARE && attr.config == PERF_COUNT_HW_CPU_CYCLES;
}

EventKind kind_of(const perf_event_attr& attr) {
    switch (attr.type) {
        case PERF_TYPE_HARDWARE:
        case PERF_TYPE_HW_CACHE: return EventKind::kHardware;
        case PERF_TYPE_SOFTWARE: return EventKind::kSoftware;
        case PERF_TYPE_TRACEPOINT: return EventKind::kTracepoint;
        default: return EventKind::kRawPmu;
    }
}

std::string paranoid_level() {
    std::ifstream f(kParanoidPath);
    int level = 0;
    if (f >> level) return " (now " + std::to_string(level) + ")";
    return "";
}

Error permission_error(const std::string& name, int err) {
    return make_error("not permitted to use event '" + name + "' (" + std::strerror(err) +
                      "): run as root, grant CAP_PERFMON, or lower " + kParanoidPath + paranoid_level());
}

// Probes ev. perf_event_paranoid >= 2 still allows user-space-only sampling of one's own
// processes: on a permission error retry without the kernel, as perf does, and keep that
// variant (with a note) unless it is refused as well. Returns the errno of the variant that
// ev now holds (0 when usable); a permission errno means both were refused.
int probe_allowing_user_only(ResolvedEvent& ev) {
    const int err = probe_event(ev.attr);
    if (!is_permission_errno(err) || ev.attr.exclude_kernel) return err;
    perf_event_attr user = ev.attr;
    user.exclude_kernel = 1;
    user.exclude_hv = 1;
    const int user_err = probe_event(user);
    if (is_permission_errno(user_err)) return err;
    ev.attr = user;
    if (user_err == 0) {
        const std::string msg = "not permitted to sample kernel mode (" + std::string(kParanoidPath) + paranoid_level() +
                                "); recording '" + ev.name +
                                "' in user space only. Run as root or grant CAP_PERFMON for kernel frames";
        ev.note = ev.note.empty() ? msg : ev.note + "; " + msg;
    }
    return user_err;
}

// Software events are accepted unless the kernel refuses them on permission grounds; other
// open failures are left for the recorder to report with its target in hand.
Result<ResolvedEvent> usable_software(ResolvedEvent ev) {
    const int err = probe_allowing_user_only(ev);
    if (is_permission_errno(err)) return permission_error(ev.name, err);
    return ev;
}

Result<ResolvedEvent> usable_hardware(ResolvedEvent ev, std::string_view spec) {
    const perf_event_attr wanted = ev.attr;
    const int err = probe_allowing_user_only(ev);
    if (err == 0) return ev;
    if (is_permission_errno(err)) return permission_error(ev.name, err);
    if (is_no_pmu_errno(err)) {
        if (is_generic_cycles(wanted)) return usable_software(cpu_clock_fallback(wanted, spec, err));
        return with_kiln_list((ev.kind == EventKind::kHardware ? "hardware event '" : "event '") + ev.name +
                              "' is not supported on this machine (" + std::strerror(err) +
                              "): no hardware PMU here (usual in VMs) or no such counter. Software events work "
                              "everywhere: cpu-clock, task-clock, page-faults, context-switches");
    }
    return with_kiln_list("cannot open event '" + ev.name + "' (perf_event_open: " + std::strerror(err) + ")");
}

// Creating a uprobe needs CAP_PERFMON (or CAP_SYS_ADMIN) whatever perf_event_paranoid says.
Result<ResolvedEvent> usable_uprobe(ResolvedEvent ev) {
    perf_event_attr attr = ev.attr;
    attr.config1 = reinterpret_cast<uintptr_t>(ev.probe_path.c_str());
    const int err = probe_event(attr);
    if (err == 0) return ev;
    if (is_permission_errno(err))
        return make_error("not permitted to create probe '" + ev.name + "' (" + std::strerror(err) +
                          "): uprobes need root or CAP_PERFMON");
    return make_error("the kernel refused probe '" + ev.name + "' (perf_event_open: " + std::strerror(err) + ")");
}

std::vector<std::string> suggestion_candidates() {
    // Conventional spellings first: among equally close names the earlier one wins.
    std::vector<std::string> names;
    for (const auto& sw : software_events()) names.emplace_back(sw.name);
    for (const auto& hw : generic_hardware_events()) names.emplace_back(hw.name);
    for (const auto& sw : software_events())
        if (sw.alias != nullptr) names.emplace_back(sw.alias);
    for (const auto& hw : generic_hardware_events())
        if (hw.alias != nullptr) names.emplace_back(hw.alias);
    for (const auto& n : pfm_event_names()) names.push_back(n);
    return names;
}

Error unknown_event(std::string_view spec, std::string_view name) {
    const auto close = closest_names(name, suggestion_candidates());
    std::string msg = "unknown event '" + std::string(spec) + "'";
    if (!close.empty()) {
        msg += "; did you mean:";
        for (size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : " ") + close[i];
        msg += "?";
    } else if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return std::isupper(c); }) ||
               name.find("::") != std::string_view::npos) {
        msg += " (PMU-specific names exist only where libpfm4 detects that PMU)";
    }
    return with_kiln_list(msg);
}

// A tracefs subsystem is lower case; PMU-specific libpfm4 names (INST_RETIRED:ANY_P,
// pmu::event) are not.
bool looks_like_tracepoint_subsystem(std::string_view s) {
    return !s.empty() && std::none_of(s.begin(), s.end(), [](unsigned char c) { return std::isupper(c); });
}

Result<ResolvedEvent> tracepoint(std::string_view spec, std::string_view subsystem, std::string_view name) {
    auto id = tracepoint_id(subsystem, name);
    if (!id) return id.error();
    ResolvedEvent ev;
    ev.name = ev.requested = std::string(spec);
    ev.kind = EventKind::kTracepoint;
    ev.attr.size = sizeof(perf_event_attr);
    ev.attr.type = PERF_TYPE_TRACEPOINT;
    ev.attr.config = *id;
    auto format = tracepoint_format_text(subsystem, name);
    if (!format) return format.error();
    ev.tracepoint_format = std::move(*format);
    return ev;
}

// libpfm4 did not know spec: say why in the terms the user most likely meant.
Error not_encodable(std::string_view spec, const NameAndModifiers& m, bool pfm_not_found, const Error& pfm_error) {
    if (m.any()) return unknown_event(spec, m.name);
    const size_t colon = spec.find(':');
    if (colon != std::string_view::npos) {
        const std::string_view head = spec.substr(0, colon);
        if (auto sw = find_software_event(head))
            return make_error("bad modifier '" + std::string(spec.substr(colon + 1)) + "' in '" + std::string(spec) +
                              "': " + sw->name + " takes :u (user space only) or :k (kernel only)");
        if (!pfm_not_found) return with_kiln_list(pfm_error.message);
        if (looks_like_tracepoint_subsystem(head) && spec.find("::") == std::string_view::npos) {
            auto tp = tracepoint(spec, head, spec.substr(colon + 1));
            return tp ? make_error("tracepoint '" + std::string(spec) + "' appeared while it was being resolved; retry")
                      : tp.error();
        }
    } else if (!pfm_not_found) {
        return with_kiln_list(pfm_error.message);
    }
    return unknown_event(spec, spec);
}

}  // namespace

Result<ResolvedEvent> encode_pfm_event(std::string_view spec) {
    auto attr = pfm_encode(spec);
    if (!attr) return attr.error();
    ResolvedEvent ev;
    ev.name = std::string(spec);
    ev.requested = ev.name;
    ev.attr = *attr;
    ev.kind = kind_of(*attr);
    ev.is_clock = attr->type == PERF_TYPE_SOFTWARE &&
                  (attr->config == PERF_COUNT_SW_CPU_CLOCK || attr->config == PERF_COUNT_SW_TASK_CLOCK);
    return ev;
}

Result<ResolvedEvent> encode_named_event(std::string_view spec) {
    const NameAndModifiers m = split_modifiers(spec);
    if (auto sw = find_software_event(m.name)) return table_event(sw->name, PERF_TYPE_SOFTWARE, sw->config, m.mods, spec);
    if (auto hw = find_generic_hardware_event(m.name))
        return table_event(hw->name, PERF_TYPE_HARDWARE, hw->config, m.mods, spec);
    return make_error(std::string("'").append(spec) + "' is not one of kiln's software or generic hardware events");
}

Result<ResolvedEvent> resolve_event(std::string_view spec) {
    if (spec.empty()) return with_kiln_list("empty event name");
    // Before the :u/:k modifiers are split off: "uprobe:/bin/x:u" probes the function u.
    if (is_uprobe_spec(spec)) {
        auto ev = make_uprobe_event(spec);
        if (!ev) return ev.error();
        return usable_uprobe(std::move(*ev));
    }
    const NameAndModifiers m = split_modifiers(spec);
    if (auto sw = find_software_event(m.name)) {
        auto ev = table_event(sw->name, PERF_TYPE_SOFTWARE, sw->config, m.mods, spec);
        if (!ev) return with_kiln_list(ev.error().message);
        return usable_software(std::move(*ev));
    }
    if (auto hw = find_generic_hardware_event(m.name)) {
        auto ev = table_event(hw->name, PERF_TYPE_HARDWARE, hw->config, m.mods, spec);
        if (!ev) return with_kiln_list(ev.error().message);
        return usable_hardware(std::move(*ev), spec);
    }

    // subsys:name where subsys is a tracefs subsystem ("pmu::event" is libpfm4's syntax).
    const size_t colon = spec.find(':');
    if (colon != std::string_view::npos && spec.find("::") == std::string_view::npos &&
        has_tracepoint_subsystem(spec.substr(0, colon)))
        return tracepoint(spec, spec.substr(0, colon), spec.substr(colon + 1));

    bool not_found = false;
    auto attr = pfm_encode(spec, &not_found);
    if (!attr) return not_encodable(spec, m, not_found, attr.error());
    ResolvedEvent ev;
    ev.name = ev.requested = std::string(spec);
    ev.attr = *attr;
    ev.kind = kind_of(*attr);
    if (ev.kind == EventKind::kSoftware) {
        ev.is_clock = attr->config == PERF_COUNT_SW_CPU_CLOCK || attr->config == PERF_COUNT_SW_TASK_CLOCK;
        return usable_software(std::move(ev));
    }
    return usable_hardware(std::move(ev), spec);
}

}  // namespace kiln::pmu
