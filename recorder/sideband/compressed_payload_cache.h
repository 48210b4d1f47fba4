// A one-entry cache, kept in a file between recordings, of a sideband payload's compressed
// form. /proc/kallsyms gives the same 1.7 MB payload recording after recording (it changes
// when the machine reboots or modules and BPF programs come and go), and compressing it was
// ~4.5 ms, a tenth of a short recording's CPU. The compressed bytes are reused when the
// payload is the one cached (same length, same 64-bit hash, same zstd level), or, without
// reading the payload's source at all, when the source's generation is the one cached
// (kernel_symbols_generation.h): reading /proc/kallsyms costs more than compressing it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/large_buffer.h"

namespace kiln::recorder::sideband {

// The cache file of the kernel symbols' KALLSYMS_FOLDED payload (kiln record's, which the
// perf.data import reads too); "" when there is no cache directory.
std::string kernel_symbols_cache_file();

// A 64-bit hash of bytes, to tell payloads apart (not cryptographic; ~0.2 ms for 1.7 MB).
uint64_t payload_hash(std::span<const uint8_t> bytes);

// What the cache holds besides the frame. source_generation 0: unknown (never matches).
// `extra`: facts about the payload a caller needs back on a hit by generation, when it does
// not read the payload's source (the kernel's text range).
struct CachedPayloadInfo {
    uint64_t raw_size = 0;
    uint64_t raw_hash = 0;
    int level = 0;
    uint64_t source_generation = 0;
    std::array<uint64_t, 2> extra{};
};

class CompressedPayloadCache {
public:
    // path: the cache file; its directory is created (mode 0700) when a payload is stored.
    explicit CompressedPayloadCache(std::string path) : path_(std::move(path)) {}

    // The zstd frame cached for `raw` at `level`, or nullopt: no file, another payload or
    // level, a file this user does not own or others may write, or one that is malformed.
    std::optional<format::LargeBytes> find(std::span<const uint8_t> raw, int level) const;
    // The same for a payload of raw_size bytes whose payload_hash() is raw_hash.
    std::optional<format::LargeBytes> find(uint64_t raw_size, uint64_t raw_hash, int level) const;

    // The frame cached for a payload read from a source of this generation, at `level`, and
    // what was stored with it; nullopt as find() does, or for generation 0.
    struct GenerationHit {
        format::LargeBytes frame;
        CachedPayloadInfo info;
    };
    std::optional<GenerationHit> find_generation(uint64_t source_generation, int level) const;

    // Replaces the cache with `frame`, the zstd frame of the payload `info` describes (its
    // payload_hash() is info.raw_hash). Best effort: false when it cannot be written.
    bool store(const CachedPayloadInfo& info, std::span<const uint8_t> frame) const;

    const std::string& path() const { return path_; }

private:
    // The frame and its info when the file is ours, whole, and matches `accept`.
    template <class Accept>
    std::optional<GenerationHit> load(int level, Accept accept) const;

    std::string path_;
};

}  // namespace kiln::recorder::sideband
