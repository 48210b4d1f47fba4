// Turns the kernel-provided callchain of a sample (frame-pointer walk for user space, the
// kernel's own unwinder for kernel space) into raw frames, leaf first.
#pragma once

#include <vector>

#include "analyzer/model/process_model.h"
#include "analyzer/unwind/raw_frame.h"
#include "formats/perf_sample.h"

namespace kiln::analyzer {

// Appends the sample's frames to out, leaf first. Return addresses (every frame but the
// first of each context) are moved back one byte so they land in the calling instruction,
// which is what line tables and inline ranges describe.
void callchain_frames(const format::ParsedSample& sample, uint64_t sample_regs_user, const ProcessModel& model,
                      std::vector<RawFrame>& out);

// A sample taken at a function's first instruction (an entry uprobe) in -g fp mode: the
// kernel's frame-pointer walk goes from the caller's frame pointer straight to the caller's
// caller, because the function has not pushed its frame yet. The caller's return address is
// at [sp], the first 8 bytes of the sample's user stack copy (the recorder copies them for
// such events): inserts it after the first user frame of out[first..]. No copy: no change.
void insert_entry_caller(const format::ParsedSample& sample, const ProcessModel& model, size_t first,
                         std::vector<RawFrame>& out);

// Frame of one user-space address of process pid.
RawFrame user_frame(const ProcessModel& model, int32_t pid, uint64_t ip);

inline bool is_kernel_address(uint64_t ip) { return static_cast<int64_t>(ip) < 0; }

}  // namespace kiln::analyzer
