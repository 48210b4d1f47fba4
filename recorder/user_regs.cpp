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

}  // namespace kiln::recorder
