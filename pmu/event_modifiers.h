// perf's event modifiers (`cycles:u`, `page-faults:k`, `cycles:ppp`, `cpu-clock:uH`) and the
// privilege bits perf opens an event with, for the events kiln names itself (software and
// generic hardware). Users carry their perf habits over, so kiln opens what perf opens:
//   - no modifier: exclude_guest (perf counts the host only unless asked);
//   - u, k, h: the first of them excludes the three privilege levels, each then includes its
//     own (`:u` = exclude_kernel + exclude_hv, `:uk` = exclude_hv);
//   - u and p imply exclude_guest (unless G or H was given); k and h alone do not;
//   - G, H: the first of them excludes guest and host, each then includes its own;
//   - p: precise_ip + 1 (at most 3); I: exclude_idle.
// (perf's get_event_modifier() in tools/perf/util/parse-events.c; `perf stat -vv` shows them.)
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <string_view>

#include "formats/result.h"

namespace kiln::pmu {

// The letters kiln takes after the last ':' of a software or generic hardware event.
inline constexpr std::string_view kModifierLetters = "ukhGHpI";

struct EventModifiers {
    bool exclude_user = false, exclude_kernel = false, exclude_hv = false;
    bool exclude_guest = true, exclude_host = false;  // the defaults without any modifier
    bool exclude_idle = false;
    uint8_t precise_ip = 0;
};

// mods is the text after the ':' ("" for none). An unknown letter or more than three p's is
// an error naming the letter.
Result<EventModifiers> parse_event_modifiers(std::string_view mods);

// Sets attr's exclude_* and precise_ip bits from m.
void apply_event_modifiers(const EventModifiers& m, perf_event_attr& attr);

}  // namespace kiln::pmu
