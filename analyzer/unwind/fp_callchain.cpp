#include "analyzer/unwind/fp_callchain.h"

#include <linux/perf_event.h>

#include <bit>

namespace kiln::analyzer {

RawFrame user_frame(const ProcessModel& model, int32_t pid, uint64_t ip) {
    const MapEntry* m = model.find(pid, ip);
    if (!m) return {kUnmappedDso, ip};
    if (model.dsos()[m->dso].kind == Dso::Kind::Anonymous) return {m->dso, ip};
    return {m->dso, ip - m->start + m->pgoff};
}

namespace {

// Position of the instruction pointer among the sampled user registers (perf's register
// numbering); -1 when it was not sampled.
int ip_register_index(uint64_t mask) {
#if defined(__x86_64__)
    constexpr int kIp = 8;  // PERF_REG_X86_IP
#elif defined(__aarch64__)
    constexpr int kIp = 32;  // PERF_REG_ARM64_PC
#else
    constexpr int kIp = -1;
#endif
    if (kIp < 0 || !(mask & (1ull << kIp))) return -1;
    return std::popcount(mask & ((1ull << kIp) - 1));
}

}  // namespace

void callchain_frames(const format::ParsedSample& s, uint64_t sample_regs_user, const ProcessModel& model,
                      std::vector<RawFrame>& out) {
    const int32_t pid = static_cast<int32_t>(s.pid);
    const size_t n = s.callchain_size();
    bool saw_user = false;
    if (n == 0) {
        if (is_kernel_address(s.ip))
            out.push_back({kKernelDso, s.ip});
        else {
            out.push_back(user_frame(model, pid, s.ip));
            saw_user = true;
        }
    }
    enum class Ctx { None, Kernel, User, Other } ctx = Ctx::None;
    bool first_in_ctx = true;
    for (size_t i = 0; i < n; ++i) {
        const uint64_t ip = s.callchain_at(i);
        if (ip >= static_cast<uint64_t>(PERF_CONTEXT_MAX)) {
            switch (ip) {
                case PERF_CONTEXT_KERNEL: ctx = Ctx::Kernel; break;
                case PERF_CONTEXT_USER: ctx = Ctx::User; break;
                default: ctx = Ctx::Other; break;  // hypervisor and guest frames are not ours
            }
            first_in_ctx = true;
            continue;
        }
        if (ctx == Ctx::Other) continue;
        if (ctx == Ctx::None) ctx = is_kernel_address(ip) ? Ctx::Kernel : Ctx::User;
        const uint64_t at = first_in_ctx || ip == 0 ? ip : ip - 1;
        first_in_ctx = false;
        if (ctx == Ctx::Kernel) {
            out.push_back({kKernelDso, at});
        } else {
            out.push_back(user_frame(model, pid, at));
            saw_user = true;
        }
    }
    // DWARF-mode recordings exclude the user callchain: the interrupted user instruction is
    // in the sampled registers (the rest of the user stack is the DWARF unwinder's job).
    if (!saw_user && s.regs_abi != 0) {
        const int idx = ip_register_index(sample_regs_user);
        if (idx >= 0 && static_cast<size_t>(idx) < s.regs.size() / 8) {
            const uint64_t uip = s.reg_at(static_cast<size_t>(idx));
            if (uip != 0 && !is_kernel_address(uip)) out.push_back(user_frame(model, pid, uip));
        }
    }
}

}  // namespace kiln::analyzer
