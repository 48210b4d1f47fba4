// The vdso: the small ELF image the kernel maps into every 64-bit process as [vdso]
// (clock_gettime, gettimeofday, getcpu, time). It has no file, so the analyzer cannot find it by
// path; it is the same image in every 64-bit process of one boot, so the recorder's own copy
// (at getauxval(AT_SYSINFO_EHDR)) is the one the samples hit, and a recording keeps it as a
// BINARY chunk named format::kVdsoBinaryPath (formats/archived_binary.h) to name and unwind
// those frames.
#pragma once

#include <cstdint>
#include <vector>

#include "formats/result.h"

namespace kiln::recorder::sideband {

struct VdsoImage {
    std::vector<uint8_t> bytes;     // the mapping's bytes: the ELF image, headers included
    std::vector<uint8_t> build_id;  // its GNU build-id note
};

// This process's vdso: its bytes (the [vdso] line of /proc/self/maps gives the size) and its
// build-id. An error when there is none (vdso=0 on the kernel command line), it is not ELF, or
// it has no build-id (the analyzer finds binaries by build-id).
Result<VdsoImage> read_own_vdso();

}  // namespace kiln::recorder::sideband
