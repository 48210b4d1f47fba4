// User-space stacks from the registers and stack bytes recorded in `-g dwarf` mode,
// unwound offline with libunwind's remote interface: CFI (.eh_frame via .eh_frame_hdr) of
// the binaries found by build-id, memory reads served from the stack copy and the binaries'
// bytes. Where a frame has no CFI libunwind falls back to the frame pointer; the stack is
// then marked. Unwind tables and libunwind's caches live per process across samples.
// Most frames take a faster path first: their CFI rule, read once per address with libdw
// (cfi_rules.h), applied directly; a sample with any other frame goes through libunwind.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/symbolize/binary_locator.h"
#include "analyzer/unwind/elf_image.h"
#include "analyzer/unwind/raw_frame.h"
#include "analyzer/unwind/unwind_failure.h"
#include "formats/perf_sample.h"

namespace kiln::analyzer {

enum class UnwindOutcome : uint8_t {
    Complete,   // reached the outermost frame
    Truncated,  // ran out of copied stack bytes
    Failed,     // stopped early for another reason (see failure)
};

struct UnwindResult {
    UnwindOutcome outcome = UnwindOutcome::Complete;
    bool used_frame_pointer = false;  // some frame had no CFI: its caller came from the frame pointer
    uint32_t no_cfi_in = kUnmappedDso;   // dso of (the last) such frame
    uint32_t stopped_in = kUnmappedDso;  // dso of the frame where unwinding stopped
    UnwindFailure failure;               // why it stopped (Truncated / Failed)
};

class DwarfUnwinder {
public:
    // libunwind_only: skip the fast path (to compare the two; the results must not differ).
    DwarfUnwinder(const ProcessModel& model, BinaryLocator& locator, bool libunwind_only = false);
    ~DwarfUnwinder();
    DwarfUnwinder(const DwarfUnwinder&) = delete;
    DwarfUnwinder& operator=(const DwarfUnwinder&) = delete;

    // Appends the user frames of the sample, leaf first. regs_mask: the event's
    // sample_regs_user. Samples without registers or stack get the sampled IP only.
    UnwindResult unwind(const format::ParsedSample& s, uint64_t regs_mask, std::vector<RawFrame>& out);

    struct Image;
    struct Context;
    // For libunwind's callbacks.
    const Image* image_for(uint32_t dso);
    const ProcessModel& model() const { return model_; }

    struct MappedImage {
        uint32_t dso = 0;
        uint64_t start = 0, pgoff = 0;
        const Image* image = nullptr;
        uint64_t bias = 0;  // runtime address = ELF virtual address + bias
    };

    // The image of the binary mapped at addr in pid's address space, or nullptr.
    const MappedImage* image_holding(int32_t pid, uint64_t addr);

    // The return address of the function interrupted at ip, when its CFI puts it at a fixed
    // offset from the stack pointer (a frameless function, or one in its prologue or
    // epilogue), read from stack, the bytes copied from the stack pointer up. nullopt when the
    // CFI finds it through the frame pointer (the kernel's frame-pointer walk has it then),
    // there is no CFI, or the copy is too short.
    std::optional<uint64_t> return_address_at_sp(int32_t pid, uint64_t ip, std::span<const uint8_t> stack);

private:
    void* address_space(int32_t pid);
    const MappedImage* mapped_image(const MapEntry& m);
    bool unwind_simple(const Context& ctx, uint64_t ip, std::vector<RawFrame>& out, UnwindResult& r);

    const ProcessModel& model_;
    BinaryLocator& locator_;
    bool libunwind_only_;
    std::array<MappedImage, 8> mapped_{};
    size_t next_mapped_ = 0;
    std::unordered_map<uint32_t, std::unique_ptr<Image>> images_;
    std::unordered_map<int32_t, void*> spaces_;  // unw_addr_space_t per process
};

}  // namespace kiln::analyzer
