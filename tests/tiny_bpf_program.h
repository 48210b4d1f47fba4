// The smallest BPF program (a socket filter returning 0), for tests that need what loading
// one changes: the BPF ids, and a [bpf] symbol in /proc/kallsyms.
#pragma once

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace kiln::test {

// The program's fd, or -1 with errno set (loading needs CAP_BPF or root).
inline int load_tiny_bpf_program() {
    bpf_insn insns[2] = {};
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
    insns[1].code = BPF_JMP | BPF_EXIT;
    static const char license[] = "GPL";
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insn_cnt = 2;
    attr.insns = reinterpret_cast<uint64_t>(insns);
    attr.license = reinterpret_cast<uint64_t>(license);
    return static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
}

}  // namespace kiln::test
