// The user registers a DWARF-mode sample copies: what an unwinder needs on this arch.
#pragma once

#include <cstdint>

namespace kiln::recorder {

// Same set perf uses (PERF_REGS_MASK): every general register, without segment registers.
uint64_t user_regs_mask();
// What a uprobe sample needs in -g fp mode: the argument registers of the first three
// arguments, the return value, the stack pointer and the instruction pointer.
uint64_t probe_regs_mask();
// What a -g fp sample needs to find a frameless leaf's caller: the stack pointer and the
// instruction pointer (the return address is on the stack, where the leaf's CFI says).
uint64_t leaf_regs_mask();
// The stack pointer's number in those masks.
int stack_pointer_register();

}  // namespace kiln::recorder
