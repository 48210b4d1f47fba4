#include <cstdio>
#include <string>

#include "pmu/event_resolver.h"
#include "pmu/pfm_events.h"
#include "pmu/software_events.h"
#include "pmu/tracepoints.h"

namespace kiln::pmu {

std::string list_events() {
    std::string out = "Software events:\n";
    char line[256];
    for (const auto& e : software_events()) {
        std::string name = e.name;
        if (e.alias) name += " OR " + std::string(e.alias);
        std::snprintf(line, sizeof line, "  %-32s %s\n", name.c_str(), e.description);
        out += line;
    }
    out += "\nHardware events usable here:\n";
    size_t usable = 0;
    for (const char* hw : {"cycles", "instructions", "cache-references", "cache-misses", "branch-instructions",
                           "branch-misses", "bus-cycles", "ref-cycles"}) {
        auto ev = resolve_event(hw);
        if (ev && ev->kind == EventKind::kHardware) {
            out += "  " + std::string(hw) + "\n";
            ++usable;
        }
    }
    if (usable == 0) out += "  none: no hardware PMU on this machine; cycles falls back to cpu-clock\n";
    else out += "  (and the PMU-specific names libpfm4 knows for this CPU, e.g. INST_RETIRED:ANY_P on Intel)\n";

    out += "\nTracepoint subsystems (use subsys:name; events under <tracefs>/events/SUBSYS):\n";
    auto subs = tracepoint_subsystems();
    if (subs.empty()) {
        auto root = tracefs_root();
        out += "  none" + (root ? std::string(" under ") + *root : ": " + root.error().message) + "\n";
    }
    for (const auto& [s, n] : subs) {
        std::snprintf(line, sizeof line, "  %-32s %zu events\n", s.c_str(), n);
        out += line;
    }
    out += "\n-e EVENT is repeatable; NAME:u / NAME:k sample user or kernel mode only.\n";
    return out;
}

}  // namespace kiln::pmu
