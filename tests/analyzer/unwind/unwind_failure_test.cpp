// Why a DWARF unwind stopped, as the unwinder reports it: a kind kiln analyze names the fix
// by, and the text the report shows, for the causes a test can set up without a recording.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/symbolize/binary_locator.h"
#include "analyzer/unwind/cfi_rules.h"
#include "analyzer/unwind/dwarf_unwinder.h"
#include "analyzer/unwind/elf_image.h"
#include "tests/temp_dir.h"

using namespace kiln;
using namespace kiln::analyzer;

namespace {

constexpr int32_t kPid = 100;
constexpr uint64_t kBase = 0x400000;

LocatorOptions nowhere_else() {
    LocatorOptions o;
    o.debug_dirs = {};
    o.use_debuginfod = false;
    return o;
}

// One sample of kPid at ip with bp, sp and ip recorded and a small zeroed stack copy.
struct DwarfSample {
    std::vector<uint64_t> regs;
    std::vector<uint8_t> stack = std::vector<uint8_t>(64, 0);
    format::ParsedSample s;
    static constexpr uint64_t kMask = (1ull << 6) | (1ull << 7) | (1ull << 8);  // bp, sp, ip

    explicit DwarfSample(uint64_t ip) : regs{0, 0x7ff000000000, ip} {
        s.pid = s.tid = kPid;
        s.ip = ip;
        s.regs_abi = 2;  // PERF_SAMPLE_REGS_ABI_64
        s.regs = std::span(reinterpret_cast<const uint8_t*>(regs.data()), regs.size() * 8);
        s.stack = stack;
    }
};

UnwindResult unwind_in(const std::string& path, std::vector<uint8_t> build_id) {
    ProcessModel model;
    model.mmap(kPid, kBase, 0x1000, 0, PROT_READ | PROT_EXEC, path, build_id);
    BinaryLocator locator(nowhere_else());
    DwarfUnwinder unwinder(model, locator);
    DwarfSample sample(kBase + 0x10);
    std::vector<RawFrame> frames;
    return unwinder.unwind(sample.s, DwarfSample::kMask, frames);
}

}  // namespace

TEST(UnwindFailure, NoUserRegisters) {
    ProcessModel model;
    BinaryLocator locator(nowhere_else());
    DwarfUnwinder unwinder(model, locator);
    format::ParsedSample s;  // regs_abi 0: a kernel thread's sample
    std::vector<RawFrame> frames;
    const UnwindResult r = unwinder.unwind(s, 0, frames);
    EXPECT_EQ(r.outcome, UnwindOutcome::Failed);
    EXPECT_EQ(r.failure.kind, UnwindFailureKind::kNoUserRegisters);
    EXPECT_EQ(r.failure.detail, "no user registers in the sample (kernel thread, or not recorded with -g dwarf)");
}

TEST(UnwindFailure, BinaryNotFoundOrOfAnotherBuild) {
    const UnwindResult gone = unwind_in("/nonexistent/app", {1, 2, 3, 4});
    EXPECT_EQ(gone.outcome, UnwindOutcome::Failed);
    EXPECT_EQ(gone.failure.kind, UnwindFailureKind::kBinaryNotFound) << gone.failure.detail;
    EXPECT_EQ(gone.failure.detail.rfind("/nonexistent/app: not found (build-id 01020304)", 0), 0u)
        << gone.failure.detail;

    const UnwindResult rebuilt = unwind_in(GOLDEN_APP, {1, 2, 3, 4});
    EXPECT_EQ(rebuilt.outcome, UnwindOutcome::Failed);
    EXPECT_EQ(rebuilt.failure.kind, UnwindFailureKind::kBuildIdMismatch) << rebuilt.failure.detail;
    EXPECT_NE(rebuilt.failure.detail.find("build-id mismatch: recorded 01020304"), std::string::npos)
        << rebuilt.failure.detail;
}

// The report lists reasons in the order of their text, whatever their kind.
TEST(UnwindFailure, ReasonsOrderByText) {
    const UnwindFailure a{UnwindFailureKind::kNoCfi, "a"}, b{UnwindFailureKind::kAddressNotMapped, "b"};
    EXPECT_LT(a, b);
    EXPECT_FALSE(b < a);
    EXPECT_EQ(a, (UnwindFailure{UnwindFailureKind::kNoCfi, "a"}));
    EXPECT_NE(a, (UnwindFailure{UnwindFailureKind::kNoEhFrameHdr, "a"}));
}

// An address no .eh_frame covers sends the fast path to .debug_frame through libdw, which
// decompresses a -gz binary's debug sections by rewriting its section headers in the bytes
// it was given: those must be a private copy (elf_binary_fuzzer found a SEGV when they were
// the file mapped read-only).
TEST(UnwindFailure, CompressedDebugSectionsOfANoCfiAddress) {
    const test::TempDir tmp;
    const std::string app = tmp.path("app_gz");
    const std::string cmd = std::string("objcopy --compress-debug-sections=zlib ") + GOLDEN_APP_NOFP + " " + app;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto elf = ElfImage::open(app);
    ASSERT_TRUE(elf) << elf.error().message;
    CfiRules rules((*elf)->private_bytes(), (*elf)->size());
    EXPECT_EQ(rules.at(0x10).kind, CfiRule::Kind::NoCfi) << "the ELF header has CFI";
    Elf64_Ehdr eh;
    std::memcpy(&eh, (*elf)->bytes(), sizeof eh);
    EXPECT_NE(rules.at(eh.e_entry).kind, CfiRule::Kind::NoCfi) << "_start has no CFI";
    // The file itself is untouched: its section headers still say compressed.
    const std::string check = "readelf -W -S " + app + " | grep -q ' .debug_info .* C '";
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
    // And a whole unwind from there (fast path, then libunwind) does not crash.
    (void)unwind_in(app, {});
}

// A CFA expression that jumps back onto itself (DW_OP_skip -3): libunwind 1.6 evaluates it
// forever, reading its bytes through kiln's memory callback, which stops it after a budget
// of reads (elf_binary_fuzzer's elf-cfa-expression-skip-loops). The unwind fails, naming why.
TEST(UnwindFailure, LoopingCfaExpressionStops) {
    const test::TempDir tmp;
    const std::string src = tmp.write("loop.s",
                                      "  .text\n  .globl _start\n  .type _start,@function\n_start:\n"
                                      "  .cfi_startproc\n  .cfi_escape 0x0f,0x03,0x2f,0xfd,0xff\n"
                                      "  nop\n  nop\n  mov $60,%eax\n  syscall\n  .cfi_endproc\n");
    const std::string app = tmp.path("loop");
    const std::string cmd = "gcc -nostartfiles -static -no-pie -Wl,--build-id -Wl,--eh-frame-hdr -o " + app + " " + src;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    ProcessModel model;
    auto elf = ElfImage::open(app);
    ASSERT_TRUE(elf) << elf.error().message;
    const ElfImage::Segment* text = nullptr;
    for (const auto& seg : (*elf)->segments())
        if (seg.exec) text = &seg;
    ASSERT_TRUE(text && text->vaddr == 0x401000) << "the layout the test expects";
    model.mmap(kPid, 0x401000, 0x1000, text->offset, PROT_READ | PROT_EXEC, app, {});
    BinaryLocator locator(nowhere_else());
    for (bool libunwind_only : {false, true}) {
        DwarfUnwinder unwinder(model, locator, libunwind_only);
        // Every user register recorded (AX..GS, R8..R15), bp = sp, a 1 KiB stack copy.
        std::vector<uint64_t> regs(24, 0);
        regs[6] = regs[7] = 0x7ff000000000;
        regs[8] = 0x401000;
        std::vector<uint8_t> stack(1024, 0);
        for (size_t at = 0; at + 16 <= stack.size(); at += 16) {  // frames chained through bp, returning to _start
            const uint64_t next_bp = regs[7] + at + 16, ret = 0x401001;
            std::memcpy(stack.data() + at, &next_bp, 8);
            std::memcpy(stack.data() + at + 8, &ret, 8);
        }
        format::ParsedSample s;
        s.pid = s.tid = kPid;
        s.ip = regs[8];
        s.regs_abi = 2;
        s.regs = std::span(reinterpret_cast<const uint8_t*>(regs.data()), regs.size() * 8);
        s.stack = stack;
        std::vector<RawFrame> frames;
        const UnwindResult r = unwinder.unwind(s, (1ull << 24) - 1, frames);
        EXPECT_EQ(r.outcome, UnwindOutcome::Failed) << frames.size() << " frames, " << r.failure.detail;
        EXPECT_EQ(r.failure.kind, UnwindFailureKind::kUnwinderStopped) << r.failure.detail;
        EXPECT_NE(r.failure.detail.find("loops"), std::string::npos) << r.failure.detail;
        EXPECT_NE(r.failure.detail.find(app), std::string::npos) << r.failure.detail;
    }
}
