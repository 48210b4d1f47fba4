#include "recorder/sideband/proc_binary_paths.h"

#include <cinttypes>
#include <cstdio>

namespace kiln::recorder::sideband {

std::array<std::string, 2> proc_binary_paths(int pid, uint64_t start, uint64_t end, std::string_view path) {
    char range[64];
    std::snprintf(range, sizeof range, "%" PRIx64 "-%" PRIx64, start, end);
    const std::string proc = "/proc/" + std::to_string(pid);
    return {proc + "/map_files/" + range, std::string(proc).append("/root").append(path)};
}

}  // namespace kiln::recorder::sideband
