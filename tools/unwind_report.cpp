#include "tools/unwind_report.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace kiln::tools {

namespace {

// What fixes the stacks that stopped for this reason ("" when nothing kiln can name does).
std::string unwind_fix(analyzer::UnwindFailureKind kind, uint32_t stack_bytes) {
    using K = analyzer::UnwindFailureKind;
    switch (kind) {
        case K::kStackCopyTooShort:
            return "record with a bigger stack copy: -g dwarf," +
                   std::to_string(std::min<uint32_t>(stack_bytes * 2, 65528));
        case K::kNoCfi:
        case K::kNoEhFrameHdr:
            return "build it with -fasynchronous-unwind-tables (keeps .eh_frame) or -fno-omit-frame-pointer";
        case K::kBinaryNotFound:
        case K::kBuildIdMismatch:
            return "make the binary (or its debug file) available: --symfs, --debug-dir or DEBUGINFOD_URLS";
        case K::kNoUserRegisters: return "record with -g dwarf";
        case K::kUnwinderStartFailed:
        case K::kUnwinderStopped:
        case K::kAddressNotMapped:
        case K::kNotAFile:
        case K::kBinaryUnreadable:
        case K::kMappingNotInFile: return "";
    }
    return "";
}

}  // namespace

analyzer::UnwindReportSummary unwind_summary(const analyzer::Analysis& a) {
    analyzer::UnwindReportSummary out;
    const auto& u = a.unwind;
    out.fp_callers_added = u.leaf_callers_added;
    out.stacks = u.samples;
    if (u.samples == 0) return out;
    uint64_t complete = 0, truncated = 0, failed = 0, fp = 0;
    for (const auto& [dso, h] : u.by_dso) {
        complete += h.complete;
        truncated += h.truncated;
        failed += h.failed;
        fp += h.frame_pointer_fallback;
    }
    auto pct = [&u](uint64_t n) { return 100.0 * static_cast<double>(n) / static_cast<double>(u.samples); };
    out.complete_pct = pct(complete);
    out.truncated_pct = pct(truncated);
    out.failed_pct = pct(failed);
    out.fp_fallback_pct = pct(fp);
    for (const auto& [dso, h] : u.by_dso) {
        auto name = a.unwind_binaries.find(dso);
        const std::string bin = name != a.unwind_binaries.end() ? name->second : "[unknown]";
        if (h.frame_pointer_fallback)
            out.rows.push_back({bin, pct(h.frame_pointer_fallback),
                                "crossed code without CFI here and were unwound with its frame pointer (a caller may "
                                "be missing)",
                                bin.starts_with("/") ? "build it with -fasynchronous-unwind-tables (keeps .eh_frame)"
                                                     : "none needed if the callers shown are right (JIT or vdso code)"});
        for (const auto& [reason, n] : h.reasons)
            out.rows.push_back({bin, pct(n), "stopped here: " + reason.detail, unwind_fix(reason.kind, u.stack_bytes)});
    }
    return out;
}

void print_unwind_report(const analyzer::UnwindReportSummary& u) {
    if (u.fp_callers_added > 0)
        std::fprintf(stderr,
                     "frame-pointer stacks: %llu callers the walk skipped (frameless functions, prologues, "
                     "epilogues) put back from the stack top\n",
                     static_cast<unsigned long long>(u.fp_callers_added));
    if (u.stacks == 0) return;
    std::fprintf(stderr, "unwinding (dwarf): %llu user stacks: %.1f%% complete, %.1f%% truncated, %.1f%% failed",
                 static_cast<unsigned long long>(u.stacks), u.complete_pct, u.truncated_pct, u.failed_pct);
    if (u.fp_fallback_pct > 0) std::fprintf(stderr, "; %.1f%% used frame pointers where CFI was missing", u.fp_fallback_pct);
    std::fprintf(stderr, "\n");
    for (const auto& r : u.rows)
        std::fprintf(stderr, "  %s: %.1f%% of stacks %s%s%s\n", r.binary.c_str(), r.pct, r.what.c_str(),
                     r.fix.empty() ? "" : "; fix: ", r.fix.c_str());
}

}  // namespace kiln::tools
