// Creates the recording file: mode 0600, never through a symlink, an existing file kept as
// PATH.old.
#pragma once

#include <string>

#include "formats/result.h"

namespace kiln::recorder {

// Returns an open, writable fd (O_CLOEXEC) for path.
Result<int> create_output_file(const std::string& path);

}  // namespace kiln::recorder
