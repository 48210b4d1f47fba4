#include "analyzer/unwind/dwarf_unwinder.h"

#define UNW_REMOTE_ONLY
#include <libunwind.h>

#include <bit>
#include <cstring>

#include "analyzer/unwind/cfi_rules.h"
#include "analyzer/unwind/fp_callchain.h"

// Not in libunwind's public headers, but exported and used by every remote unwinder that
// reads .eh_frame_hdr tables (perf among them).
extern "C" int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t* di,
                                                  unw_proc_info_t* pi, int need_unwind_info, void* arg);

namespace kiln::analyzer {

namespace {
constexpr size_t kMaxFrames = 512;
// Memory reads libunwind may ask for in one sample's unwind. A real one takes a few dozen per
// frame (the search table, a CIE and FDE, saved registers); a CFI expression that jumps back
// onto itself (DW_OP_skip -3 in a damaged or hostile .eh_frame) reads its own bytes forever,
// and libunwind 1.6 does not stop it: past this budget every read fails, and so does the step.
constexpr uint32_t kMaxReadsPerUnwind = 1u << 18;

// perf's x86-64 user register numbers (PERF_REG_X86_*) for libunwind's UNW_X86_64_* ones.
int perf_reg_of(unw_regnum_t r) {
#if defined(__x86_64__)
    switch (r) {
        case UNW_X86_64_RAX: return 0;
        case UNW_X86_64_RBX: return 1;
        case UNW_X86_64_RCX: return 2;
        case UNW_X86_64_RDX: return 3;
        case UNW_X86_64_RSI: return 4;
        case UNW_X86_64_RDI: return 5;
        case UNW_X86_64_RBP: return 6;
        case UNW_X86_64_RSP: return 7;
        case UNW_X86_64_RIP: return 8;
        default:
            if (r >= UNW_X86_64_R8 && r <= UNW_X86_64_R15) return 16 + (r - UNW_X86_64_R8);
            return -1;
    }
#else
    (void)r;
    return -1;
#endif
}
}  // namespace

struct DwarfUnwinder::Image {
    std::unique_ptr<ElfImage> elf;
    std::unique_ptr<CfiRules> rules;  // with elf
    UnwindFailure problem;  // why this binary cannot be unwound through
};

// What libunwind's callbacks see of one sample.
struct DwarfUnwinder::Context {
    DwarfUnwinder* self;
    const format::ParsedSample* sample;
    uint64_t regs_mask;
    int32_t pid;
    uint64_t sp;
    bool read_past_stack = false;
    bool no_cfi = false;
    uint32_t reads = 0;  // access_mem calls so far (kMaxReadsPerUnwind)
    uint32_t no_cfi_in = kUnmappedDso;  // dso of the last address find_proc_info was asked about
    UnwindFailure last_problem;  // detail "" until a frame had none

    bool reg(int perf_reg, uint64_t& v) const {
        if (perf_reg < 0 || !(regs_mask & (1ull << perf_reg))) return false;
        const size_t i = static_cast<size_t>(std::popcount(regs_mask & ((1ull << perf_reg) - 1)));
        if (i >= sample->regs.size() / 8) return false;
        v = sample->reg_at(i);
        return true;
    }
};

namespace {

int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info, void* arg) {
    auto* ctx = static_cast<DwarfUnwinder::Context*>(arg);
    const MapEntry* m = ctx->self->model().find(ctx->pid, ip);
    if (m) ctx->no_cfi_in = m->dso;
    if (!m) {
        ctx->no_cfi = true;
        ctx->last_problem = {UnwindFailureKind::kAddressNotMapped, "address outside every mapping"};
        return -UNW_ENOINFO;
    }
    const DwarfUnwinder::Image* img = ctx->self->image_for(m->dso);
    if (!img || !img->elf) {
        ctx->no_cfi = true;
        ctx->last_problem = img ? img->problem : UnwindFailure{UnwindFailureKind::kNotAFile, "not a file"};
        return -UNW_ENOINFO;
    }
    const ElfImage& elf = *img->elf;
    const ElfImage::Segment* seg = elf.segment_of_offset(m->pgoff);
    if (!seg || !elf.has_eh_frame_hdr()) {
        ctx->no_cfi = true;
        ctx->last_problem = elf.has_eh_frame_hdr()
                                ? UnwindFailure{UnwindFailureKind::kMappingNotInFile, "mapping does not match the file"}
                                : UnwindFailure{UnwindFailureKind::kNoEhFrameHdr, elf.eh_frame_problem()};
        return -UNW_ENOINFO;
    }
    // runtime address = vaddr + bias for every segment of this mapped image.
    const uint64_t bias = m->start - m->pgoff + seg->offset - seg->vaddr;
    unw_dyn_info_t di{};
    di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    di.start_ip = m->start;
    di.end_ip = m->end;
    di.u.rti.segbase = bias + elf.eh_frame_hdr_vaddr();
    di.u.rti.table_data = di.u.rti.segbase + elf.table_offset();
    di.u.rti.table_len = elf.fde_count() * 8 / sizeof(unw_word_t);
    const int rc = UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need_unwind_info, arg);
    if (rc < 0) {
        ctx->no_cfi = true;
        ctx->last_problem = {UnwindFailureKind::kNoCfi, "no CFI for the address in " + elf.path()};
    }
    return rc;
}

void put_unwind_info(unw_addr_space_t, unw_proc_info_t*, void*) {}

int get_dyn_info_list_addr(unw_addr_space_t, unw_word_t*, void*) { return -UNW_ENOINFO; }

int access_mem(unw_addr_space_t, unw_word_t addr, unw_word_t* val, int write, void* arg) {
    if (write) return -UNW_EINVAL;
    auto* ctx = static_cast<DwarfUnwinder::Context*>(arg);
    if (++ctx->reads > kMaxReadsPerUnwind) return -UNW_EINVAL;
    const auto& stack = ctx->sample->stack;
    if (addr >= ctx->sp && addr - ctx->sp + sizeof(unw_word_t) <= stack.size()) {
        std::memcpy(val, stack.data() + (addr - ctx->sp), sizeof(unw_word_t));
        return 0;
    }
    // Outside the stack: the bytes of the binary mapped there (.eh_frame and its table, the
    // GOT a CIE's personality pointer names). Found from the address alone, never from what
    // earlier calls touched, so an unwind does not depend on libunwind's caches: a stack reads
    // the same whichever samples were unwound before it (kiln analyze -o DIR unwinds for
    // every view at once).
    if (const DwarfUnwinder::MappedImage* mi = ctx->self->image_holding(ctx->pid, addr))
        if (addr >= mi->bias && mi->image->elf->read_vaddr(addr - mi->bias, val, sizeof(unw_word_t))) return 0;
    // A read just above the copied stack means the copy was too small.
    if (addr >= ctx->sp && addr < ctx->sp + stack.size() + (1u << 20)) ctx->read_past_stack = true;
    *val = 0;
    return -UNW_EINVAL;
}

int access_reg(unw_addr_space_t, unw_regnum_t regnum, unw_word_t* val, int write, void* arg) {
    if (write) return -UNW_EREADONLYREG;
    auto* ctx = static_cast<DwarfUnwinder::Context*>(arg);
    uint64_t v = 0;
    if (!ctx->reg(perf_reg_of(regnum), v)) return -UNW_EBADREG;
    *val = v;
    return 0;
}

int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) { return -UNW_EINVAL; }
int resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }
int get_proc_name(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*) { return -UNW_EINVAL; }

unw_accessors_t accessors = {
    find_proc_info, put_unwind_info, get_dyn_info_list_addr, access_mem, access_reg, access_fpreg, resume,
    get_proc_name,
};

}  // namespace

DwarfUnwinder::DwarfUnwinder(const ProcessModel& model, BinaryLocator& locator, bool libunwind_only)
    : model_(model), locator_(locator), libunwind_only_(libunwind_only) {}

DwarfUnwinder::~DwarfUnwinder() {
    for (auto& [pid, as] : spaces_) unw_destroy_addr_space(static_cast<unw_addr_space_t>(as));
}

const DwarfUnwinder::Image* DwarfUnwinder::image_for(uint32_t dso) {
    auto& slot = images_[dso];
    if (slot) return slot.get();
    slot = std::make_unique<Image>();
    const Dso& d = model_.dsos()[dso];
    if (d.kind != Dso::Kind::File) {
        slot->problem = {UnwindFailureKind::kNotAFile, d.path + " is not a file"};
        return slot.get();
    }
    LocateFailure why = LocateFailure::kNone;
    auto found = locator_.locate(d.path, d.build_id, &why);
    if (!found) {
        slot->problem = {why == LocateFailure::kBuildIdMismatch ? UnwindFailureKind::kBuildIdMismatch
                                                                : UnwindFailureKind::kBinaryNotFound,
                         found.error().message};
        return slot.get();
    }
    auto elf = ElfImage::open(found->path);
    if (!elf) {
        slot->problem = {UnwindFailureKind::kBinaryUnreadable, elf.error().message};
    } else {
        slot->elf = std::move(*elf);
        slot->rules = std::make_unique<CfiRules>(slot->elf->private_bytes(), slot->elf->size());
    }
    return slot.get();
}

void* DwarfUnwinder::address_space(int32_t pid) {
    auto& as = spaces_[pid];
    if (!as) {
        unw_addr_space_t space = unw_create_addr_space(&accessors, 0);
        // Procedure info is cached per process across samples (same mappings, same CFI).
        unw_set_caching_policy(space, UNW_CACHE_GLOBAL);
        as = space;
    }
    return as;
}

UnwindResult DwarfUnwinder::unwind(const format::ParsedSample& s, uint64_t regs_mask, std::vector<RawFrame>& out) {
    UnwindResult r;
    const int32_t pid = static_cast<int32_t>(s.pid);
    Context ctx{this, &s, regs_mask, pid, 0, false, false, 0, 0, {}};  // no_cfi_in 0: as it was (not its default)
    uint64_t ip = 0;
    if (s.regs_abi == 0 || !ctx.reg(8, ip) || !ctx.reg(7, ctx.sp)) {
        r.outcome = UnwindOutcome::Failed;
        r.failure = {UnwindFailureKind::kNoUserRegisters,
                     "no user registers in the sample (kernel thread, or not recorded with -g dwarf)"};
        return r;
    }
    if (!libunwind_only_ && unwind_simple(ctx, ip, out, r)) return r;
    auto space = static_cast<unw_addr_space_t>(address_space(pid));
    unw_cursor_t cursor;
    if (unw_init_remote(&cursor, space, &ctx) != 0) {
        out.push_back(user_frame(model_, pid, ip));
        r.outcome = UnwindOutcome::Failed;
        r.failure = {UnwindFailureKind::kUnwinderStartFailed, "libunwind could not start"};
        return r;
    }
    bool first = true;
    int step = 0;
    size_t n = 0;
    do {
        unw_word_t pc = 0;
        if (unw_get_reg(&cursor, UNW_REG_IP, &pc) != 0 || pc == 0) break;
        // Return addresses point after the call: step back into it.
        const uint64_t at = first ? pc : pc - 1;
        const RawFrame f = user_frame(model_, pid, at);
        out.push_back(f);
        r.stopped_in = f.dso;
        first = false;
        if (++n >= kMaxFrames) {
            step = -UNW_ESTOPUNWIND;
            break;
        }
        ctx.no_cfi = false;
        step = unw_step(&cursor);
        if (ctx.no_cfi && step > 0) {
            r.used_frame_pointer = true;
            r.no_cfi_in = ctx.no_cfi_in;
        }
    } while (step > 0);
    if (ctx.reads > kMaxReadsPerUnwind) {
        r.outcome = UnwindOutcome::Failed;
        r.failure = {UnwindFailureKind::kUnwinderStopped,
                     "libunwind stopped after " + std::to_string(kMaxReadsPerUnwind) + " memory reads in " +
                         (r.stopped_in < model_.dsos().size() ? model_.dsos()[r.stopped_in].path : "[unknown]") +
                         " (a CFI expression that loops: the binary's .eh_frame is damaged)"};
        return r;
    }
    if (step >= 0 && !ctx.read_past_stack) return r;
    if (ctx.read_past_stack) {
        r.outcome = UnwindOutcome::Truncated;
        r.failure = {UnwindFailureKind::kStackCopyTooShort, "the copied stack (" + std::to_string(s.stack.size()) +
                                                                " bytes) ended before the outermost frame"};
        out.push_back({kTruncatedDso, 0});
    } else {
        r.outcome = UnwindOutcome::Failed;
        r.failure = ctx.last_problem.detail.empty()
                        ? UnwindFailure{UnwindFailureKind::kUnwinderStopped,
                                        "libunwind stopped (error " + std::to_string(-step) + ")"}
                        : ctx.last_problem;
    }
    return r;
}

// The image of a file mapping and its load bias, remembered for the last few mappings seen
// (a sample's frames fall in a handful of mappings, the same from sample to sample).
const DwarfUnwinder::MappedImage* DwarfUnwinder::mapped_image(const MapEntry& m) {
    for (const auto& c : mapped_)
        if (c.image && c.dso == m.dso && c.start == m.start && c.pgoff == m.pgoff) return &c;
    const Image* img = image_for(m.dso);
    if (!img || !img->rules) return nullptr;
    const ElfImage::Segment* seg = img->elf->segment_of_offset(m.pgoff);
    if (!seg) return nullptr;
    MappedImage& slot = mapped_[next_mapped_++ % mapped_.size()];
    slot = {m.dso, m.start, m.pgoff, img, m.start - m.pgoff + seg->offset - seg->vaddr};
    return &slot;
}

// A file's read-only and data segments are mapped right above its code (and are not code,
// so the model keeps no path for them): the code mapping at or just below addr names the
// binary, and its load bias says whether addr is in it.
const DwarfUnwinder::MappedImage* DwarfUnwinder::image_holding(int32_t pid, uint64_t addr) {
    const AddressSpace* space = model_.space(pid);
    if (!space) return nullptr;
    const auto& dsos = model_.dsos();
    const MapEntry* m = space->at_or_below(addr, 4, [&](const MapEntry& e) {
        return e.dso < dsos.size() && dsos[e.dso].kind == Dso::Kind::File;
    });
    return m ? mapped_image(*m) : nullptr;
}

std::optional<uint64_t> DwarfUnwinder::return_address_at_sp(int32_t pid, uint64_t ip,
                                                            std::span<const uint8_t> stack) {
    const AddressSpace* space = model_.space(pid);
    const MapEntry* m = space ? space->find(ip) : nullptr;
    if (!m || m->dso >= model_.dsos().size() || model_.dsos()[m->dso].kind != Dso::Kind::File) return std::nullopt;
    const MappedImage* mapped = mapped_image(*m);
    if (!mapped || ip < mapped->bias) return std::nullopt;
    const CfiRule& rule = mapped->image->rules->at(ip - mapped->bias);
    if (rule.kind != CfiRule::Kind::Simple || rule.cfa_from_rbp) return std::nullopt;
    const int64_t at = rule.cfa_offset + rule.ra_offset;  // from sp
    if (at < 0 || static_cast<uint64_t>(at) + 8 > stack.size()) return std::nullopt;
    uint64_t ra = 0;
    std::memcpy(&ra, stack.data() + at, 8);
    return ra;
}

// Applies cached simple CFI rules frame by frame, reading only the copied stack. Succeeds
// only for a stack unwound to its outermost frame; anything else (a frame with other CFI or
// none, a read outside the copy, too many frames) leaves out as it was and returns false,
// and libunwind unwinds the sample from the start, so both paths give the same stacks.
bool DwarfUnwinder::unwind_simple(const Context& ctx, uint64_t ip, std::vector<RawFrame>& out, UnwindResult& r) {
    const size_t first_frame = out.size();
    const auto fail = [&] {
        out.resize(first_frame);
        return false;
    };
    const auto& stack = ctx.sample->stack;
    const auto read = [&](uint64_t addr, uint64_t& v) {
        if (addr < ctx.sp || addr - ctx.sp > stack.size() || stack.size() - (addr - ctx.sp) < 8) return false;
        std::memcpy(&v, stack.data() + (addr - ctx.sp), 8);
        return true;
    };
    uint64_t sp = ctx.sp, bp = 0;
    bool bp_known = ctx.reg(6, bp);
    const AddressSpace* space = model_.space(ctx.pid);
    if (!space) return fail();
    for (size_t n = 0; n < kMaxFrames; ++n) {
        // Return addresses point after the call: look up the call itself.
        const uint64_t at = n == 0 ? ip : ip - 1;
        const MapEntry* m = space->find(at);
        if (!m) return fail();
        // Code that is not a file we have (vdso, JIT code) has no CFI here.
        static const CfiRule kNoCfi{CfiRule::Kind::NoCfi};
        const CfiRule* rule = &kNoCfi;
        if (model_.dsos()[m->dso].kind == Dso::Kind::File) {
            const MappedImage* mapped = mapped_image(*m);
            if (!mapped) return fail();
            rule = &mapped->image->rules->at(at - mapped->bias);
            if (rule->kind == CfiRule::Kind::Other) return fail();
            out.push_back({m->dso, at - m->start + m->pgoff});
        } else {
            out.push_back(user_frame(model_, ctx.pid, at));
        }
        r.stopped_in = m->dso;
        if (rule->kind == CfiRule::Kind::Outermost) return true;
        uint64_t cfa = 0, ra = 0;
        if (rule->kind == CfiRule::Kind::NoCfi) {
            // The frame pointer stands in for the missing CFI, as in perf's fp callchains
            // ([rbp] the caller's rbp, [rbp+8] the return address). A frame that keeps no
            // frame pointer (a leaf) hides its caller: the stack is marked.
            if (!bp_known || bp < sp) return fail();
            cfa = bp + 16;
            if (!read(bp + 8, ra) || !read(bp, bp)) return fail();
            r.used_frame_pointer = true;
            r.no_cfi_in = m->dso;
        } else {
            if (rule->cfa_from_rbp && !bp_known) return fail();
            cfa = (rule->cfa_from_rbp ? bp : sp) + static_cast<uint64_t>(rule->cfa_offset);
            if (!read(cfa + static_cast<uint64_t>(rule->ra_offset), ra)) return fail();
            if (rule->rbp == CfiRule::Saved::AtOffset) {
                if (!read(cfa + static_cast<uint64_t>(rule->rbp_offset), bp)) return fail();
                bp_known = true;
            } else if (rule->rbp == CfiRule::Saved::Undefined) {
                bp_known = false;
            }
        }
        sp = cfa;
        ip = ra;
        if (ip == 0) return true;
    }
    return fail();
}

}  // namespace kiln::analyzer
