// Reading the user registers a sample copied (PERF_SAMPLE_REGS_USER): they come packed, one
// u64 per bit set in the event's sample_regs_user, in perf's register numbering.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>

#include "formats/perf_sample.h"

namespace kiln::analyzer {

// perf's numbers of the registers the analyzer reads (asm/perf_regs.h of the recording
// arch, which is the analyzer's own: cross-arch analysis is not supported).
struct UserReg {
#if defined(__x86_64__)
    static constexpr int kIp = 8, kSp = 7;                          // PERF_REG_X86_IP, _SP
    static constexpr int kArg0 = 5, kArg1 = 4, kArg2 = 3, kRet = 0;  // DI, SI, DX, AX (SysV ABI)
#elif defined(__aarch64__)
    static constexpr int kIp = 32, kSp = 31;                        // PERF_REG_ARM64_PC, _SP
    static constexpr int kArg0 = 0, kArg1 = 1, kArg2 = 2, kRet = 0;  // x0, x1, x2; x0
#else
    static constexpr int kIp = -1, kSp = -1, kArg0 = -1, kArg1 = -1, kArg2 = -1, kRet = -1;
#endif
};

// Register reg (perf numbering) of sample s, whose event sampled the registers in mask;
// nullopt when it was not sampled or the sample has no user registers (a kernel thread).
inline std::optional<uint64_t> user_register(const format::ParsedSample& s, uint64_t mask, int reg) {
    if (reg < 0 || reg > 63 || s.regs_abi == 0 || !(mask & (1ull << reg))) return std::nullopt;
    const size_t idx = static_cast<size_t>(std::popcount(mask & ((1ull << reg) - 1)));
    if (idx >= s.regs.size() / 8) return std::nullopt;
    return s.reg_at(idx);
}

}  // namespace kiln::analyzer
