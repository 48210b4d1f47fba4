// `kiln list`: what can be recorded on this machine.
#include <cstdio>
#include <string>

#include "pmu/event_resolver.h"
#include "pmu/hardware_events.h"
#include "pmu/named_events.h"
#include "pmu/software_events.h"
#include "pmu/tracepoints.h"

namespace kiln::pmu {

namespace {

std::string row(const std::string& name, const std::string& what) {
    char line[512];
    std::snprintf(line, sizeof line, "  %-32s %s\n", name.c_str(), what.c_str());
    return line;
}

std::string software_section() {
    std::string out = "Software events (work everywhere):\n";
    for (const auto& e : software_events()) out += row(name_or_alias(e), e.description);
    return out;
}

std::string hardware_section() {
    std::string out = "Hardware events usable here:\n";
    size_t usable = 0;
    for (const auto& hw : generic_hardware_events()) {
        auto ev = resolve_event(hw.name);  // probes; "cycles" comes back as cpu-clock without a PMU
        if (!ev || ev->kind != EventKind::kHardware) continue;
        out += row(name_or_alias(hw), ev->note.empty() ? "" : "user space only here");
        ++usable;
    }
    if (usable == 0) {
        out += "  none: no hardware PMU on this machine; cycles falls back to cpu-clock\n";
    } else {
        out += "  (and the PMU-specific names libpfm4 knows for this CPU, e.g. INST_RETIRED:ANY_P on Intel;\n"
               "   `perf list` shows them)\n";
    }
    return out;
}

std::string tracepoint_section() {
    std::string out = "Tracepoint subsystems (events under <tracefs>/events/SUBSYSTEM):\n";
    const auto subs = tracepoint_subsystems();
    if (subs.empty()) {
        auto root = tracefs_root();
        out += "  none" + (root ? " under " + *root : ": " + root.error().message) + "\n";
    }
    for (const auto& [s, n] : subs) out += row(s, std::to_string(n) + (n == 1 ? " event" : " events"));
    return out;
}

}  // namespace

std::string list_events() {
    return software_section() + "\n" + hardware_section() + "\n" + tracepoint_section() +
           "\nSyntax:\n"
           "  -e EVENT is repeatable: -e cpu-clock -e sched:sched_switch records both.\n"
           "  Tracepoints are SUBSYSTEM:NAME, e.g. sched:sched_switch, syscalls:sys_enter_mmap.\n"
           "  NAME:u / NAME:k count user space or kernel only (cpu-clock:u, cycles:k).\n"
           "  uprobe:PATH:SYMBOL[+OFFSET] samples every call of a function in an ELF file (at its entry,\n"
           "  or OFFSET bytes in); uretprobe:PATH:SYMBOL every return from it. Needs root or CAP_PERFMON.\n"
           "  Without -e, kiln records cycles (cpu-clock where there is no hardware PMU).\n";
}

}  // namespace kiln::pmu
