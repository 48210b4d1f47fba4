// Why a DWARF unwind stopped before the outermost frame: a kind to branch on (kiln analyze
// names the fix for it) and the detail text the report shows, which names the binary, the
// build-id or the sizes involved.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

namespace kiln::analyzer {

enum class UnwindFailureKind : uint8_t {
    kNoUserRegisters,      // the sample has no user registers (a kernel thread, or not -g dwarf)
    kUnwinderStartFailed,  // libunwind could not start from the sample's registers
    kStackCopyTooShort,    // the copied stack ended before the outermost frame (truncated)
    kUnwinderStopped,      // libunwind stopped with an error of its own
    kAddressNotMapped,     // an address outside every mapping of the process
    kNotAFile,             // code that is not a file kiln can read (vdso, anonymous or JIT code)
    kBinaryNotFound,       // the binary was not found by path, build-id or debuginfod
    kBuildIdMismatch,      // files were found, but with another build-id
    kBinaryUnreadable,     // the binary was found but could not be read as a 64-bit ELF file
    kMappingNotInFile,     // the mapping's file offset lies in no loadable segment of the binary
    kNoEhFrameHdr,         // the binary has no .eh_frame_hdr table kiln can read
    kNoCfi,                // no CFI covers the address
};

struct UnwindFailure {
    UnwindFailureKind kind = UnwindFailureKind::kUnwinderStopped;
    std::string detail;  // what the report shows: "no CFI for the address in /usr/bin/app"

    bool operator==(const UnwindFailure&) const = default;
    // By text first: the report lists reasons in the order of their text.
    bool operator<(const UnwindFailure& o) const { return std::tie(detail, kind) < std::tie(o.detail, o.kind); }
};

}  // namespace kiln::analyzer
