// Names of syscall numbers and errno values, for the machine that made the recording (its
// architecture from the header), through libseccomp's tables, which follow each kernel release.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::analyzer {

class SyscallNames {
public:
    // arch: the recording's `uname -m` ("x86_64", "aarch64" ...); unknown ones give numbers.
    explicit SyscallNames(std::string_view arch);
    // "openat"; "syscall_N" when the table has no name for it.
    std::string name(int64_t nr) const;
    bool known_arch() const { return arch_token_ != 0; }

private:
    uint32_t arch_token_ = 0;
};

// "ENOENT"; "E<n>" for a number glibc has no name for.
std::string errno_name(int err);

}  // namespace kiln::analyzer
