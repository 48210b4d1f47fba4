// Creates the recording file: mode 0600, never through a symlink, an existing file kept as
// PATH.old.
#pragma once

#include <cstdint>
#include <string>

#include "formats/result.h"

namespace kiln::recorder {

// Returns an open, writable fd (O_CLOEXEC) for path.
Result<int> create_output_file(const std::string& path);

// An error, naming why, when files cannot be created in path's directory (read-only, no
// permission, missing): --switch-output creates its first file only once recording started.
Status check_directory_writable(const std::string& path);

// `-o -`: a duplicate (O_CLOEXEC) of standard output, refused when that is a terminal.
Result<int> standard_output();
// How messages name an output: the path, or "standard output" for "-".
std::string output_name(const std::string& path);

// An error once the file open on fd is no longer linked anywhere (it, or its directory, was
// removed while recording): what it holds is lost to everyone, so it is emptied to give the
// disk its space back. Ok while it is linked (or not a file).
Status check_still_linked(int fd, const std::string& path);

// PREFIX-YYYYmmdd-HHMMSS.EXT at realtime_ns (UTC), or PREFIX-YYYYmmdd-HHMMSS-2.EXT, -3 ... when
// that name is taken: the files of `kiln monitor` and `kiln record --switch-output`.
std::string timestamped_path(const std::string& prefix, const std::string& ext, uint64_t realtime_ns);

}  // namespace kiln::recorder
