// PID_NAMESPACES chunks (4.2): the pids that processes in other pid namespaces (containers)
// have there. Samples carry host pids (perf_event_open reports in the recorder's namespace);
// this says which pid a container's own tools would show.
//
//   PID_NAMESPACES  u32 layout version (1), list of (i32 pid, list of i32 namespace pids,
//                   outermost first, the host pid not repeated)
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "formats/result.h"

namespace kiln::format {

// host pid → its pids in the nested namespaces (NSpid of /proc/PID/status after the first).
using PidNamespaceMap = std::map<int32_t, std::vector<int32_t>>;

std::vector<uint8_t> encode_pid_namespaces(const PidNamespaceMap& pids);
Result<PidNamespaceMap> decode_pid_namespaces(std::span<const uint8_t> payload);

}  // namespace kiln::format
