// What /proc/kallsyms shows can change only when the machine reboots, modules come and go,
// BPF programs (and the links that attach them) come and go, or the kernel starts hiding its
// pointers. kernel_symbols_generation() fingerprints exactly those, in a few cheap reads and
// syscalls, so that a recorder can reuse the kernel symbols it recorded before instead of
// reading /proc/kallsyms again: the kernel formats its ~200k lines in ~30 ms of CPU, half of
// a short recording's cost.
//
// Not covered: ftrace and kprobe trampolines created since ("[__builtin__ftrace]",
// "[__builtin__kprobes]"); a sample inside one stays unnamed, as on any perf recording that
// read kallsyms before the trampoline existed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::recorder::sideband {

// The fingerprint (never 0), or nullopt when it cannot be known: no boot id, or BPF objects
// that this process may not list (then only a fresh read of /proc/kallsyms is right).
std::optional<uint64_t> kernel_symbols_generation();

// "name size address \n" of each /proc/modules line (parse_modules): where each module's
// symbols are. The reference count and the list of users change while the symbols stay the
// same. nullopt when a line is malformed.
std::optional<std::string> modules_layout(std::string_view modules);

}  // namespace kiln::recorder::sideband
