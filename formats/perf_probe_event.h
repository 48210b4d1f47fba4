// Events `perf probe` made on user-space functions, as a perf.data names them: tracepoints
// "GROUP:EVENT" (probe_libc:malloc, probe_libc:malloc__return) whose tracefs format starts
// with __probe_ip (an entry probe) or __probe_func and __probe_ret_ip (a return probe), then
// the arguments the user asked for ("malloc size=%di:u64" gives a u64 field "size"). The
// function is EVENT without perf's "__return" and its "_N" for a second probe of one symbol.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/recording_header.h"
#include "formats/tracepoint_format.h"

namespace kiln::format {

struct PerfProbeEvent {
    std::string function;  // "malloc"
    bool is_return = false;
    // The fields the user fetched, in the order perf probe was given them: at an entry, the
    // function's arguments as asked for (%di, %si, %dx ... for the first, second, third); at a
    // return, the first is $retval.
    std::vector<TracepointField> values;

    // The i-th fetched value of a RAW payload, as unsigned; nullopt when there is no such
    // field or the payload is too short.
    std::optional<uint64_t> value(size_t i, std::span<const uint8_t> raw) const;
};

// nullopt when the event is not a perf probe uprobe (or its format cannot be read).
// known_function tells whether a name is a function the caller cares about, so "malloc_1"
// (perf's name for a second probe on malloc) maps to malloc while "my_alloc_2" stays itself
// when my_alloc_2 is known.
std::optional<PerfProbeEvent> perf_probe_event(const EventDescription& event,
                                               bool (*known_function)(std::string_view));

}  // namespace kiln::format
