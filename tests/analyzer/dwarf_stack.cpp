#include "tests/analyzer/dwarf_stack.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <optional>

#if defined(__x86_64__)
#include <asm/perf_regs.h>
#include <linux/perf_event.h>
#endif

namespace kiln::testing {

namespace {

constexpr uint64_t kRealignedLocals = 64;

// "rsp+80" → {"rsp", 80}; "c-16" → {"c", -16}.
bool register_plus(const std::string& rule, std::string& reg, int64_t& offset) {
    const size_t at = rule.find_first_of("+-");
    if (at == std::string::npos || at == 0) return false;
    reg = rule.substr(0, at);
    try {
        offset = std::stoll(rule.substr(at));
    } catch (...) {
        return false;
    }
    return true;
}

// Where the rbp value of the frame being built is kept: the sampled register, a stack slot an
// inner frame saved it to, or nowhere a caller could read it back from.
struct RbpHome {
    enum class Kind { Register, Slot, Lost } kind = Kind::Register;
    uint64_t slot = 0;
    std::optional<uint64_t> value;
};

}  // namespace

Result<SyntheticUserStack> synthesize_user_stack(const std::vector<ChainFrame>& chain, uint64_t sp) {
    if (chain.empty()) return make_error("an empty call chain");
    SyntheticUserStack out;
    out.ip = chain.front().pc;
    out.sp = sp;
    std::map<uint64_t, uint64_t> slots;  // address → value
    RbpHome rbp;
    const auto put = [&](uint64_t addr, uint64_t value, uint64_t below, const std::string& what) -> Status {
        if (addr < out.sp || addr + 8 > below) return make_error(what + " falls outside its frame");
        if (!slots.emplace(addr, value).second) return make_error(what + " overlaps another slot");
        return Status::success();
    };
    for (size_t i = 0; i < chain.size(); ++i) {
        const ChainFrame& f = chain[i];
        if (!f.row) return make_error(f.name + ": no CFI covers it");
        std::string reg, ra_base;
        int64_t off = 0, ra_off = 0;
        auto ra = f.row->regs.find("ra");
        if (!register_plus(f.row->cfa, reg, off) || off <= 0 || (reg != "rsp" && reg != "rbp"))
            return make_error(f.name + ": CFA rule '" + f.row->cfa + "' is not rsp+N or rbp+N");
        if (ra == f.row->regs.end() || !register_plus(ra->second, ra_base, ra_off) || ra_base != "c")
            return make_error(f.name + ": return address rule is not c-K");
        uint64_t cfa = sp + static_cast<uint64_t>(off);
        if (reg == "rbp") {
            cfa += kRealignedLocals;
            const uint64_t value = cfa - static_cast<uint64_t>(off);
            if (rbp.kind == RbpHome::Kind::Lost) return make_error(f.name + ": its rbp was not saved by the frame below");
            if (rbp.value && *rbp.value != value) return make_error(f.name + ": its rbp was already given another value");
            rbp.value = value;
            if (rbp.kind == RbpHome::Kind::Register)
                out.bp = value;
            else if (Status st = put(rbp.slot, value, rbp.slot + 8, f.name + ": saved rbp"); !st)
                return st.error();
        }
        const uint64_t caller_pc = i + 1 < chain.size() ? chain[i + 1].pc : 0;  // 0: the outermost frame
        out.return_slots.push_back(cfa + static_cast<uint64_t>(ra_off));
        if (Status st = put(out.return_slots.back(), caller_pc, cfa, f.name + ": return address"); !st) return st.error();
        auto saved = f.row->regs.find("rbp");
        if (saved != f.row->regs.end() && saved->second.rfind("c-", 0) == 0) {
            // Saved here: the caller's rbp lives in this slot (filler unless a caller needs it).
            std::string c;
            int64_t at = 0;
            register_plus(saved->second, c, at);
            rbp = {RbpHome::Kind::Slot, cfa + static_cast<uint64_t>(at), std::nullopt};
            if (rbp.slot < sp || rbp.slot + 8 > cfa) return make_error(f.name + ": saved rbp outside its frame");
        } else if (saved != f.row->regs.end() && saved->second != "u" && saved->second != "s") {
            // readelf prints "u" until a frame saves the register: the caller's rbp is unchanged.
            rbp = {RbpHome::Kind::Lost, 0, std::nullopt};
        }
        sp = cfa;
    }
    out.stack.resize(sp - out.sp);
    for (size_t i = 0; i + 8 <= out.stack.size(); i += 8) std::memcpy(out.stack.data() + i, &kStackFiller, 8);
    for (const auto& [addr, value] : slots) std::memcpy(out.stack.data() + (addr - out.sp), &value, 8);
    return out;
}

Status append_user_regs_and_stack(ByteWriter& w, const SyntheticUserStack& stack, uint64_t regs_mask, uint64_t copied) {
#if defined(__x86_64__)
    w.u64(PERF_SAMPLE_REGS_ABI_64);
    for (uint64_t mask = regs_mask; mask != 0; mask &= mask - 1) {
        const int reg = std::countr_zero(mask);
        w.u64(reg == PERF_REG_X86_IP ? stack.ip : reg == PERF_REG_X86_SP ? stack.sp : reg == PERF_REG_X86_BP ? stack.bp : 0);
    }
    copied = std::min<uint64_t>(copied, stack.stack.size());
    std::vector<uint8_t> bytes(stack.stack.begin(), stack.stack.begin() + static_cast<std::ptrdiff_t>(copied));
    bytes.resize((copied + 7) & ~uint64_t{7}, 0);
    w.u64(bytes.size());
    w.raw(bytes.data(), bytes.size());
    w.u64(copied);
    return Status::success();
#else
    (void)w, (void)stack, (void)regs_mask, (void)copied;
    return make_error("user registers are synthesized for x86-64 only");
#endif
}

}  // namespace kiln::testing
