// The user registers and stack copy of a `-g dwarf` sample, synthesized from a described call
// chain and each frame's CFI row (eh_frame_table.h), as the stack would have been in memory:
//
//   frame i (leaf first) has sp_i (sp_0 is chosen; sp_{i+1} = CFA_i) and
//     CFA_i = sp_i + N         for a row "rsp+N"
//     CFA_i = sp_i + N + 64    for a row "rbp+N" (a realigned frame: 64 bytes of locals), whose
//                              rbp then must be CFA_i - N: written where frame i's rbp is kept
//                              (the sampled bp register, or the slot an inner frame saved it to)
//   the return address into frame i+1 (0 after the outermost frame) at CFA_i + RA's "c-K"
//   a frame that saves rbp ("c-K") gives its caller's rbp a slot at CFA_i - K
//
// Every other byte of the copy, and bp when no frame needs it, is filler that is not an address,
// so a frame-pointer walk finds no chain. Rules other than "rsp+N"/"rbp+N" with the return
// address at "c-K" (expressions, other registers) are refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/byte_io.h"
#include "formats/result.h"
#include "tests/analyzer/eh_frame_table.h"

namespace kiln::testing {

inline constexpr uint64_t kStackFiller = 0x5a5a5a5a5a5a5a5aull;  // not a canonical address

struct ChainFrame {
    uint64_t pc = 0;              // leaf: the interrupted instruction; caller: the return address
    const CfaRow* row = nullptr;  // CFI at pc (leaf) or at pc - 1 (caller: in its call instruction)
    std::string name;             // for errors
};

struct SyntheticUserStack {
    uint64_t ip = 0, sp = 0, bp = kStackFiller;
    std::vector<uint8_t> stack;          // sp up to the outermost frame's CFA
    std::vector<uint64_t> return_slots;  // per frame: where its return address is
};

Result<SyntheticUserStack> synthesize_user_stack(const std::vector<ChainFrame>& chain, uint64_t sp);

// A sample's PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER fields as the kernel writes them
// (then trimmed as the recorder drains them): the ABI, one u64 per bit of regs_mask (ip, sp and
// bp from the stack, the others 0); the copy's size, its first `copied` bytes, dyn_size.
Status append_user_regs_and_stack(ByteWriter& w, const SyntheticUserStack& stack, uint64_t regs_mask, uint64_t copied);

}  // namespace kiln::testing
