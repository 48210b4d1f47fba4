#include "recorder/sideband/kernel_symbols_generation.h"

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "recorder/sideband/compressed_payload_cache.h"
#include "recorder/sideband/kernel_modules.h"
#include "recorder/sideband/proc_files.h"

namespace kiln::recorder::sideband {

namespace {

// Appends the ids of every BPF object of one kind (BPF_PROG_GET_NEXT_ID, BPF_LINK_GET_NEXT_ID)
// to `out`. False when they cannot be listed (EPERM without CAP_SYS_ADMIN). A kernel without
// BPF (ENOSYS, EINVAL) has no BPF symbols: an empty list.
bool append_bpf_ids(int command, std::string& out) {
    uint32_t id = 0;
    for (;;) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.start_id = id;
        if (::syscall(SYS_bpf, command, &attr, sizeof attr) != 0) {
            if (errno == ENOENT || errno == ENOSYS || errno == EINVAL) return true;  // no more (or no BPF)
            return false;
        }
        id = attr.next_id;
        out.append(reinterpret_cast<const char*>(&id), sizeof id);
    }
}

}  // namespace

std::optional<std::string> modules_layout(std::string_view modules) {
    auto parsed = parse_modules(modules);
    if (!parsed) return std::nullopt;
    std::string out;
    char address[32];
    for (const auto& m : parsed->modules) {
        std::snprintf(address, sizeof address, "0x%llx", static_cast<unsigned long long>(m.base));
        out += m.name + ' ' + std::to_string(m.size) + ' ' + address + " \n";
    }
    return out;
}

std::optional<uint64_t> kernel_symbols_generation() {
    std::string boot_id, modules, kptr_restrict;
    if (read_file("/proc/sys/kernel/random/boot_id", boot_id, 128) != 0 || boot_id.empty()) return std::nullopt;
    if (read_file("/proc/sys/kernel/kptr_restrict", kptr_restrict, 64) != 0) return std::nullopt;
    // No /proc/modules: a kernel without module support.
    if (const int err = read_file("/proc/modules", modules, 16u << 20); err != 0 && err != ENOENT) return std::nullopt;
    const auto layout = modules_layout(modules);
    if (!layout) return std::nullopt;
    std::string key = "kernel-symbols-v1\n" + boot_id + kptr_restrict + std::to_string(::geteuid()) + "\n" +
                      *layout + "bpf\n";
    if (!append_bpf_ids(BPF_PROG_GET_NEXT_ID, key)) return std::nullopt;
    key += "links\n";
    if (!append_bpf_ids(BPF_LINK_GET_NEXT_ID, key)) return std::nullopt;
    const uint64_t h = payload_hash(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    return h == 0 ? 1 : h;
}

}  // namespace kiln::recorder::sideband
