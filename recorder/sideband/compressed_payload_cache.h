// A one-entry cache, kept in a file between recordings, of a sideband payload's compressed
// form. /proc/kallsyms gives the same 1.7 MB payload recording after recording (it changes
// when the machine reboots or modules and BPF programs come and go), and compressing it was
// ~4.5 ms, a tenth of a short recording's CPU. The recorder still reads and encodes the
// symbols every time; it reuses the compressed bytes only when the payload is the one cached:
// same length, same 64-bit hash, same zstd level.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/large_buffer.h"

namespace kiln::recorder::sideband {

// $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln; "" (no cache) when
// KILN_CACHE_DIR is set and empty, or when there is no home directory.
std::string default_cache_dir();

// A 64-bit hash of bytes, to tell payloads apart (not cryptographic; ~0.2 ms for 1.7 MB).
uint64_t payload_hash(std::span<const uint8_t> bytes);

class CompressedPayloadCache {
public:
    // path: the cache file; its directory is created (mode 0700) when a payload is stored.
    explicit CompressedPayloadCache(std::string path) : path_(std::move(path)) {}

    // The zstd frame cached for `raw` at `level`, or nullopt: no file, another payload or
    // level, a file this user does not own or others may write, or one that is malformed.
    std::optional<format::LargeBytes> find(std::span<const uint8_t> raw, int level) const;

    // Replaces the cache with `frame`, the zstd frame (at `level`) of a payload of raw_size
    // bytes whose payload_hash() is raw_hash. Best effort: false when it cannot be written.
    bool store(uint64_t raw_size, uint64_t raw_hash, int level, std::span<const uint8_t> frame) const;

    const std::string& path() const { return path_; }

private:

    std::string path_;
};

}  // namespace kiln::recorder::sideband
