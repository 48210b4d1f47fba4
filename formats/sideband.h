// Sideband chunk payloads: what the recorder stores besides kernel records so that a
// recording can be explained offline, on another machine. Each struct encodes to and
// decodes from one chunk payload; decode checks every length.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::format {

struct MappingEntry {            // one line of /proc/PID/maps
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t pgoff = 0;
    uint32_t prot = 0;           // PROT_READ|PROT_WRITE|PROT_EXEC bits
    uint32_t flags = 0;          // MAP_PRIVATE / MAP_SHARED
    uint64_t inode = 0;
    uint32_t dev_major = 0;
    uint32_t dev_minor = 0;
    std::string path;            // "" for anonymous, "[stack]", "[vdso]", ...
    std::vector<uint8_t> build_id;  // empty when unknown
};

struct ProcessEntry {
    int32_t pid = 0;
    int32_t ppid = 0;
    std::string comm;            // /proc/PID/comm
    std::string exe;             // readlink /proc/PID/exe ("" when unreadable)
    std::vector<std::string> cmdline;
    std::vector<int32_t> tids;   // threads
    std::vector<std::string> thread_comms;  // parallel to tids
    std::vector<MappingEntry> maps;
};

struct ProcessSnapshot {
    uint64_t time_ns = 0;        // perf clock (CLOCK_MONOTONIC) when taken
    std::vector<ProcessEntry> processes;
};

struct KernelSymbol {
    uint64_t address = 0;
    char type = 't';
    std::string name;
    std::string module;          // "" for the kernel image
};

struct KernelSymbols {
    std::vector<KernelSymbol> symbols;  // text symbols only, sorted by address
};

struct KernelModule {
    std::string name;
    uint64_t base = 0;
    uint64_t size = 0;
    std::vector<uint8_t> build_id;
};

struct KernelModules {
    std::vector<KernelModule> modules;
};

struct KernelImage {
    std::string release;         // uname -r
    std::vector<uint8_t> build_id;  // from /sys/kernel/notes
    uint64_t text_start = 0;     // _stext (0 if unknown)
    uint64_t text_end = 0;       // _etext
};

struct PerfMapFile {
    int32_t pid = 0;
    std::string contents;        // the file's text, verbatim
};

struct BuildIdEntry {
    int32_t pid = -1;            // -1: applies to the path in every process
    std::string path;
    std::vector<uint8_t> build_id;
};

struct BuildIdTable {
    std::vector<BuildIdEntry> entries;
};

std::vector<uint8_t> encode(const ProcessSnapshot& s);
std::vector<uint8_t> encode(const KernelSymbols& s);
std::vector<uint8_t> encode(const KernelModules& s);
std::vector<uint8_t> encode(const KernelImage& s);
std::vector<uint8_t> encode(const PerfMapFile& s);
std::vector<uint8_t> encode(const BuildIdTable& s);

Result<ProcessSnapshot> decode_process_snapshot(std::span<const uint8_t> payload);
Result<KernelSymbols> decode_kernel_symbols(std::span<const uint8_t> payload);
Result<KernelModules> decode_kernel_modules(std::span<const uint8_t> payload);
Result<KernelImage> decode_kernel_image(std::span<const uint8_t> payload);
Result<PerfMapFile> decode_perf_map(std::span<const uint8_t> payload);
Result<BuildIdTable> decode_build_ids(std::span<const uint8_t> payload);

std::string build_id_hex(std::span<const uint8_t> id);

}  // namespace kiln::format
