// Where the file behind a process's mapping can be read even when this machine's path does not
// show it (a container's mount namespace, a deleted file): /proc/PID/map_files/START-END is the
// mapped file itself, whatever namespace it lives in; /proc/PID/root/PATH is the path as the
// process sees it. Both need the process alive. Tried in this order by the build-id reader,
// the binary capture and --archive.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::recorder::sideband {

std::array<std::string, 2> proc_binary_paths(int pid, uint64_t start, uint64_t end, std::string_view path);

}  // namespace kiln::recorder::sideband
