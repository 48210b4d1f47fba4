// libFuzzer target: any bytes as a binary that `kiln analyze` finds on the machine. The bytes
// are written to a file that a synthetic process maps the way the loader would (its PT_LOAD
// segments, when they parse), then go through the analyzer's own per-binary code:
// - the locator (the file's own build-id note, its .gnu_debuglink, whether it has .debug_info),
// - the symbolizer (AddressResolver -> BinarySymbols: libdwfl, the DWARF compile-unit and
//   inline index, the symbol tables, compressed debug sections, the damage checks) on a
//   handful of addresses derived from the input, and again with the file as its own
//   separate debug file (libelf and libdw opened by kiln, as for debuginfod downloads),
// - the DWARF unwinder (ElfImage, .eh_frame_hdr, CfiRules' fast path, libunwind) over small
//   synthetic register sets and stack copies: a chain of frames whose return addresses point
//   into the binary's code, a stack whose saved frame pointers loop back onto themselves, and
//   stack bytes taken from the input; with and without the fast path.
// It must never crash, hang or read out of bounds; warnings and `binary+0xOFFSET` frames are fine.
// Nothing but the one file is looked at: no debug directories, perf cache, symfs or debuginfod.
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/profile/profile.h"
#include "analyzer/symbolize/address_resolver.h"
#include "analyzer/symbolize/binary_locator.h"
#include "analyzer/symbolize/binary_preloader.h"
#include "analyzer/symbolize/dwarf_symbolizer.h"
#include "analyzer/symbolize/jit_symbols.h"
#include "analyzer/symbolize/kernel_symbols.h"
#include "analyzer/unwind/dwarf_unwinder.h"
#include "analyzer/unwind/fp_callchain.h"
#include "formats/perf_sample.h"

namespace {

using namespace kiln::analyzer;

constexpr int32_t kPid = 4242;
constexpr uint64_t kPieBase = 0x555555554000ull;  // where an ET_DYN file is mapped
constexpr uint64_t kPage = 4096;
constexpr uint64_t kStackTop = 0x7ffff0000000ull;
constexpr size_t kMaxSegments = 8;
constexpr size_t kMaxUnwindFrames = 512 + 1;  // DwarfUnwinder's limit, plus a truncation marker

// A private directory holding the file the analyzer opens, removed when the fuzzer exits.
class Workdir {
public:
    Workdir() {
        std::string tmpl = std::filesystem::temp_directory_path().string() + "/kiln_elf_fuzz_XXXXXX";
        if (mkdtemp(tmpl.data())) dir_ = tmpl;
    }
    ~Workdir() {
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    // The binary's path with these bytes in it, "" when it cannot be written.
    std::string write(const uint8_t* data, size_t size) const {
        if (dir_.empty()) return "";
        const std::string path = dir_ + "/binary";
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return "";
        size_t done = 0;
        while (done < size) {
            const ssize_t n = ::write(fd, data + done, size - done);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        ::close(fd);
        return done == size ? path : "";
    }

private:
    std::string dir_;
};

struct Mapped {
    uint64_t start, end, pgoff;
};

// The executable PT_LOAD segments, mapped as the loader maps them; when none parse, the
// whole file at one address, so that the symbolizer and unwinder still get to read it.
std::vector<Mapped> map_segments(const uint8_t* data, size_t size) {
    std::vector<Mapped> out;
    Elf64_Ehdr eh;
    if (size >= sizeof eh) {
        std::memcpy(&eh, data, sizeof eh);
        const uint64_t bias = eh.e_type == ET_DYN ? kPieBase : 0;
        for (size_t i = 0; i < eh.e_phnum && out.size() < kMaxSegments; ++i) {
            Elf64_Phdr ph;
            const uint64_t at = eh.e_phoff + i * sizeof ph;
            if (eh.e_phoff > size || at > size - sizeof ph) break;
            std::memcpy(&ph, data + at, sizeof ph);
            if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || ph.p_memsz == 0 || ph.p_memsz > (1ull << 30)) continue;
            const uint64_t start = (bias + ph.p_vaddr) & ~(kPage - 1);
            const uint64_t end = (bias + ph.p_vaddr + ph.p_memsz + kPage - 1) & ~(kPage - 1);
            if (end <= start || start == 0 || static_cast<int64_t>(end) < 0) continue;
            out.push_back({start, end, ph.p_offset & ~(kPage - 1)});
        }
    }
    if (out.empty()) out.push_back({kPieBase, kPieBase + ((size + kPage - 1) & ~(kPage - 1)) + kPage, 0});
    return out;
}

uint64_t u64_at(const uint8_t* data, size_t size, size_t at) {
    uint64_t v = 0;
    if (size >= 8) std::memcpy(&v, data + std::min(at, size - 8), 8);
    return v;
}

// Code addresses to symbolize and to return to: each mapping's start and middle, the entry
// point, and a few picked by the input's last bytes.
std::vector<uint64_t> code_addresses(const uint8_t* data, size_t size, const std::vector<Mapped>& maps) {
    std::vector<uint64_t> out;
    for (const auto& m : maps) {
        out.push_back(m.start);
        out.push_back(m.start + (m.end - m.start) / 2);
    }
    if (size >= sizeof(Elf64_Ehdr)) {
        Elf64_Ehdr eh;
        std::memcpy(&eh, data, sizeof eh);
        out.push_back((eh.e_type == ET_DYN ? kPieBase : 0) + eh.e_entry);
    }
    for (size_t k = 1; k <= 4; ++k) {
        const Mapped& m = maps[k % maps.size()];
        out.push_back(m.start + u64_at(data, size, size >= 8 * k ? size - 8 * k : 0) % (m.end - m.start));
    }
    return out;
}

// A user stack copy with the registers a `-g dwarf` sample carries (x86-64 perf numbering).
struct SyntheticSample {
    std::vector<uint8_t> regs, stack;
    kiln::format::ParsedSample sample;
    static constexpr uint64_t kMask = (1ull << 24) - 1;  // AX..GS, R8..R15

    SyntheticSample(uint64_t ip, uint64_t sp, uint64_t bp, std::vector<uint8_t> stack_bytes)
        : regs(24 * 8, 0), stack(std::move(stack_bytes)) {
        auto set = [&](int reg, uint64_t v) { std::memcpy(regs.data() + 8 * reg, &v, 8); };
        set(6, bp);
        set(7, sp);
        set(8, ip);
        sample.pid = sample.tid = kPid;
        sample.ip = ip;
        sample.regs_abi = 2;  // PERF_SAMPLE_REGS_ABI_64
        sample.regs = regs;
        sample.stack = stack;
    }
};

void put(std::vector<uint8_t>& stack, size_t at, uint64_t v) {
    if (at + 8 <= stack.size()) std::memcpy(stack.data() + at, &v, 8);
}

std::vector<SyntheticSample> synthetic_samples(const uint8_t* data, size_t size, const std::vector<uint64_t>& code) {
    std::vector<SyntheticSample> out;
    out.reserve(3);  // each sample's spans point into its own vectors
    const uint64_t sp = kStackTop - 4096;
    // Frames chained through saved frame pointers, each returning into the binary's code.
    std::vector<uint8_t> chain(1024, 0);
    for (size_t i = 0; i + 1 < chain.size() / 16; ++i) {
        put(chain, 16 * i, sp + 16 * (i + 1));
        put(chain, 16 * i + 8, code[(i + 1) % code.size()] + 1);
    }
    out.emplace_back(code[0], sp, sp, std::move(chain));
    // Every saved frame pointer is the frame itself and every return address the same
    // instruction: an unwinder that trusts them goes round forever.
    std::vector<uint8_t> loop(512, 0);
    for (size_t at = 0; at + 16 <= loop.size(); at += 16) {
        put(loop, at, sp);
        put(loop, at + 8, code[1 % code.size()]);
    }
    out.emplace_back(code[1 % code.size()], sp, sp, std::move(loop));
    // The input's own bytes as the stack, returning wherever they say.
    std::vector<uint8_t> raw(data, data + std::min<size_t>(size, 2048));
    out.emplace_back(code[code.size() - 1], sp, sp + u64_at(data, size, 16) % 256, std::move(raw));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Workdir workdir;
    const std::string path = workdir.write(data, size);
    if (path.empty()) return 0;

    // The build-id a recording would hold for it is the file's own (when it has one that reads).
    std::vector<uint8_t> build_id;
    if (auto id = read_elf_build_id(path)) build_id = std::move(*id);
    const auto maps = map_segments(data, size);
    ProcessModel model;
    for (const auto& m : maps) model.mmap(kPid, m.start, m.end - m.start, m.pgoff, PROT_READ | PROT_EXEC, path, build_id);
    const auto code = code_addresses(data, size, maps);

    LocatorOptions lopt;
    lopt.debug_dirs.clear();
    lopt.use_debuginfod = false;
    lopt.use_perf_build_id_cache = false;
    BinaryLocator locator(lopt);

    // Symbolize: through the resolver, as a profile's frames are named.
    {
        const KernelSymbolTable kernel(kiln::format::KernelSymbols{}, kiln::format::KernelModules{},
                                       kiln::format::KernelImage{});
        const JitSymbolTable jit({});
        InlineBinaryOpener opener(locator);
        Profile profile;
        AddressResolver resolver(model, kernel, jit, opener, profile, {});
        for (uint64_t a : code) (void)resolver.location(user_frame(model, kPid, a));
        (void)resolver.binaries();
    }
    // The same bytes as the separate debug file of a stripped binary (what the locator finds
    // in a .build-id tree or downloads from debuginfod), when they have no DWARF of their own.
    if (auto syms = BinarySymbols::open({path, path, "fuzz"})) {
        for (uint64_t a : code)
            if (const MapEntry* m = model.find(kPid, a)) (void)(*syms)->resolve(a - m->start + m->pgoff);
    }

    // Unwind: the fast path with libunwind behind it, then libunwind alone.
    for (bool libunwind_only : {false, true}) {
        DwarfUnwinder unwinder(model, locator, libunwind_only);
        for (const auto& s : synthetic_samples(data, size, code)) {
            std::vector<RawFrame> frames;
            (void)unwinder.unwind(s.sample, SyntheticSample::kMask, frames);
            if (frames.size() > kMaxUnwindFrames) __builtin_trap();  // the frame limit must hold
        }
    }
    return 0;
}
