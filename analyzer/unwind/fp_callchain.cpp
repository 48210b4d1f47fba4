#include "analyzer/unwind/fp_callchain.h"

#include <linux/perf_event.h>

#include <cstring>

#include "analyzer/unwind/user_registers.h"

namespace kiln::analyzer {

RawFrame user_frame(const ProcessModel& model, int32_t pid, uint64_t ip) {
    const MapEntry* m = model.find(pid, ip);
    if (!m) return {kUnmappedDso, ip};
    if (model.dsos()[m->dso].kind == Dso::Kind::Anonymous) return {m->dso, ip};
    return {m->dso, ip - m->start + m->pgoff};
}


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
        const auto uip = user_register(s, sample_regs_user, UserReg::kIp);
        if (uip && *uip != 0 && !is_kernel_address(*uip)) out.push_back(user_frame(model, pid, *uip));
    }
}

void insert_entry_caller(const format::ParsedSample& s, const ProcessModel& model, size_t first,
                         std::vector<RawFrame>& out) {
    if (s.stack.size() < 8) return;
    uint64_t ret = 0;
    std::memcpy(&ret, s.stack.data(), 8);
    if (ret == 0 || is_kernel_address(ret)) return;
    for (size_t i = first; i < out.size(); ++i) {
        if (out[i].dso == kKernelDso) continue;
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(i) + 1, user_frame(model, static_cast<int32_t>(s.pid), ret - 1));
        return;
    }
}

}  // namespace kiln::analyzer
