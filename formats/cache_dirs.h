// Where kiln keeps files between runs, shared by the recorder (which fills the caches) and the
// analyzer (which reads them): the kernel symbols' cache and the build-id cache of binaries
// captured from other mount namespaces (recorder/sideband/binary_capture.h).
#pragma once

#include <string>

namespace kiln::format {

// $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln; "" (no cache) when
// KILN_CACHE_DIR is set and empty, or when there is no home directory.
std::string kiln_cache_dir();

// The ELF file of build-id `hex` in a build-id cache laid out as perf's (~/.debug): DIR/.build-id/
// ab/cdef.../elf. kiln's own build-id cache is kiln_cache_dir() laid out the same way.
std::string build_id_cache_file(const std::string& dir, const std::string& hex);

}  // namespace kiln::format
