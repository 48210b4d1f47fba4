// Creates the recording file: mode 0600, never through a symlink, an existing file kept as
// PATH.old.
#pragma once

#include <cstdint>
#include <string>

#include "formats/result.h"

namespace kiln::recorder {

// Returns an open, writable fd (O_CLOEXEC) for path.
Result<int> create_output_file(const std::string& path);

// PREFIX-YYYYmmdd-HHMMSS.EXT at realtime_ns (UTC), or PREFIX-YYYYmmdd-HHMMSS-2.EXT, -3 ... when
// that name is taken: the files of `kiln monitor` and `kiln record --switch-output`.
std::string timestamped_path(const std::string& prefix, const std::string& ext, uint64_t realtime_ns);

}  // namespace kiln::recorder
