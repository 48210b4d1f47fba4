// Sideband collection at record time: what a recording needs, besides the kernel's records,
// to be explained offline on another machine. Everything here reads /proc, /sys and ELF
// files of this machine; nothing symbolizes or unwinds. Results fill the structs of
// formats/sideband.h, ready for format::encode().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/large_buffer.h"
#include "formats/result.h"
#include "formats/sideband.h"

namespace kiln::recorder {

// One process: comm, exe, cmdline, ppid, threads and their names, memory maps. Executable
// file-backed mappings (and the other mappings of the same file) carry the file's GNU
// build-id, read from /proc/PID/map_files/ when allowed, else from the path as the process
// sees it (/proc/PID/root/PATH, then PATH; never from the path of a deleted file). The error
// names the pid and what could not be read (a process that does not exist, or whose maps
// need ptrace access).
Result<format::ProcessEntry> snapshot_process(int pid);

// Several processes, one build-id read per file (dev, inode). Processes that have exited
// are left out silently; any other failure is an error. time_ns is CLOCK_MONOTONIC.
Result<format::ProcessSnapshot> snapshot_processes(const std::vector<int>& pids);

// Every process in /proc (system-wide recording). Processes that exit meanwhile are left
// out silently; processes that cannot be read for another reason (permissions) are left
// out too and, when `skipped` is given, described there ("pid 42: ..."). The error is for
// /proc itself being unreadable.
Result<format::ProcessSnapshot> snapshot_all_processes(std::vector<std::string>* skipped = nullptr);

// Text symbols (types t T w W, non-zero address) of a kallsyms file, with the module name of
// "[mod]" suffixes, sorted by address, encoded straight into a KALLSYMS_FOLDED payload (no
// string per symbol: this is most of the recorder's start-up). An error when the file is
// unreadable or when every address is 0 (kernel pointers hidden: the message names
// /proc/sys/kernel/kptr_restrict).
struct KallsymsPayload {
    format::LargeBytes payload;
    size_t count = 0;
    uint64_t text_start = 0, text_end = 0;  // _stext and _etext of the kernel image, 0 if absent
};
Result<KallsymsPayload> read_kallsyms_payload(const std::string& path = "/proc/kallsyms");
// The same symbols decoded (tests, tools).
Result<format::KernelSymbols> read_kallsyms(const std::string& path = "/proc/kallsyms");

// Loaded modules from /proc/modules (name, core size, base address) with the build-id of
// /sys/module/NAME/notes/.note.gnu.build-id when readable. A kernel without module support
// (no /proc/modules) gives an empty list.
Result<format::KernelModules> read_modules();

// Kernel release (uname), kernel build-id (/sys/kernel/notes; empty when missing) and the
// _stext/_etext range (0 when unknown). The first form takes them from symbols already read,
// the second reads /proc/kallsyms up to the two lines it needs.
Result<format::KernelImage> read_kernel_image(const KallsymsPayload& symbols);
Result<format::KernelImage> read_kernel_image();

// The GNU build-id (NT_GNU_BUILD_ID note) of an ELF file, from its PT_NOTE segments or, when
// it has none, its SHT_NOTE sections. The error names the path (unreadable, not a regular
// file, not ELF, no build-id note).
Result<std::vector<uint8_t>> read_build_id(const std::string& path);

// The same for an ELF image in memory (the vdso); `name` is for the error. libelf may convert
// the image's bytes in place when reading it, so the caller's copy is taken.
Result<std::vector<uint8_t>> build_id_of_image(std::vector<uint8_t>& image, const std::string& name);

// DIR/perf-PID.map, the JIT symbol map a runtime writes for perf, when present. Symlinks,
// non-regular files and files owned by neither root, us nor the process's user are ignored;
// a partly written last line is dropped.
std::optional<format::PerfMapFile> read_perf_map(int pid, const std::string& dir = "/tmp");

}  // namespace kiln::recorder
