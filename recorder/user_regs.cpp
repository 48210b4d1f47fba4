#include "recorder/user_regs.h"

#include <asm/perf_regs.h>

namespace kiln::recorder {

uint64_t user_regs_mask() {
#if defined(__x86_64__)
    const uint64_t all = (1ULL << PERF_REG_X86_64_MAX) - 1;
    const uint64_t segments = (1ULL << PERF_REG_X86_DS) | (1ULL << PERF_REG_X86_ES) |
                              (1ULL << PERF_REG_X86_FS) | (1ULL << PERF_REG_X86_GS);
    return all & ~segments;
#elif defined(__aarch64__)
    return (1ULL << PERF_REG_ARM64_MAX) - 1;
#else
#error "kiln: DWARF-mode register set not defined for this architecture"
#endif
}

uint64_t probe_regs_mask() {
#if defined(__x86_64__)
    return (1ULL << PERF_REG_X86_DI) | (1ULL << PERF_REG_X86_SI) | (1ULL << PERF_REG_X86_DX) |
           (1ULL << PERF_REG_X86_AX) | (1ULL << PERF_REG_X86_SP) | (1ULL << PERF_REG_X86_IP);
#elif defined(__aarch64__)
    return (1ULL << PERF_REG_ARM64_X0) | (1ULL << PERF_REG_ARM64_X1) | (1ULL << PERF_REG_ARM64_X2) |
           (1ULL << PERF_REG_ARM64_SP) | (1ULL << PERF_REG_ARM64_PC);
#endif
}

uint64_t leaf_regs_mask() {
#if defined(__x86_64__)
    return (1ULL << PERF_REG_X86_SP) | (1ULL << PERF_REG_X86_IP);
#elif defined(__aarch64__)
    return (1ULL << PERF_REG_ARM64_SP) | (1ULL << PERF_REG_ARM64_PC);
#endif
}

int stack_pointer_register() {
#if defined(__x86_64__)
    return PERF_REG_X86_SP;
#elif defined(__aarch64__)
    return PERF_REG_ARM64_SP;
#endif
}

}  // namespace kiln::recorder
