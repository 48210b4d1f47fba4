#include "analyzer/sched/syscall_names.h"

#include <seccomp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace kiln::analyzer {

namespace {
struct ArchToken {
    std::string_view uname;
    uint32_t token;
};
constexpr ArchToken kArches[] = {
    {"x86_64", SCMP_ARCH_X86_64}, {"i686", SCMP_ARCH_X86},       {"i386", SCMP_ARCH_X86},
    {"aarch64", SCMP_ARCH_AARCH64}, {"armv7l", SCMP_ARCH_ARM},    {"ppc64le", SCMP_ARCH_PPC64LE},
    {"s390x", SCMP_ARCH_S390X},   {"riscv64", SCMP_ARCH_RISCV64}, {"mips64", SCMP_ARCH_MIPS64},
};
}  // namespace

SyscallNames::SyscallNames(std::string_view arch) {
    for (const auto& a : kArches)
        if (a.uname == arch) arch_token_ = a.token;
}

std::string SyscallNames::name(int64_t nr) const {
    if (arch_token_ != 0 && nr >= 0 && nr < (1 << 20)) {
        std::unique_ptr<char, decltype(&std::free)> n(seccomp_syscall_resolve_num_arch(arch_token_, static_cast<int>(nr)),
                                                      &std::free);
        if (n) return n.get();
    }
    return "syscall_" + std::to_string(nr);
}

std::string errno_name(int err) {
    if (const char* n = strerrorname_np(err)) return n;
    return std::string("E").append(std::to_string(err));
}

}  // namespace kiln::analyzer
