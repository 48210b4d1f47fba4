#include "recorder/sideband/compressed_payload_cache.h"

#include "formats/cache_dirs.h"
#include "recorder/fd_guard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace kiln::recorder::sideband {

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'Z', 'C', '2', '\n'};
constexpr uint64_t kMaxFrame = 64u << 20;

// The file: magic, u32 zstd level, u32 0, u64 raw size, u64 raw hash, u64 source generation,
// u64 extra[2], u64 frame size, frame.
struct CacheHeader {
    char magic[8];
    uint32_t level;
    uint32_t reserved;
    uint64_t raw_size;
    uint64_t raw_hash;
    uint64_t source_generation;
    uint64_t extra[2];
    uint64_t frame_size;
};
static_assert(sizeof(CacheHeader) == 64);

bool read_exactly(int fd, void* out, size_t n) {
    auto* p = static_cast<uint8_t*>(out);
    while (n > 0) {
        const ssize_t got = ::read(fd, p, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        p += got;
        n -= static_cast<size_t>(got);
    }
    return true;
}

bool write_exactly(int fd, const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
        const ssize_t put = ::write(fd, p, n);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return false;
        p += put;
        n -= static_cast<size_t>(put);
    }
    return true;
}

// PATH.tmp.PID files of writers that died (SIGKILL) between writing and renaming: a later
// writer with the same pid would fail its O_EXCL open, and nobody else would remove them.
void remove_stale_temporaries(const std::string& path) {
    const std::filesystem::path file(path);
    const std::string prefix = file.filename().string() + ".tmp.";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(file.parent_path(), ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix)) continue;
        const std::string pid = name.substr(prefix.size());
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        if (::access(("/proc/" + pid).c_str(), F_OK) != 0) std::filesystem::remove(entry.path(), ec);
    }
}

}  // namespace

std::string kernel_symbols_cache_file() {
    const std::string dir = format::kiln_cache_dir();
    return dir.empty() ? "" : dir + "/kernel-symbols.zst";
}

uint64_t payload_hash(std::span<const uint8_t> bytes) {
    // Four independent lanes of multiply-rotate over 8-byte words, then a murmur-style finish.
    constexpr uint64_t k1 = 0x9e3779b97f4a7c15, k2 = 0xbf58476d1ce4e5b9, k3 = 0x94d049bb133111eb;
    uint64_t lane[4] = {bytes.size(), k1, k2, k3};
    const uint8_t* p = bytes.data();
    size_t n = bytes.size();
    for (; n >= 32; p += 32, n -= 32) {
        for (int j = 0; j < 4; ++j) {
            uint64_t w;
            std::memcpy(&w, p + 8 * j, 8);
            lane[j] = std::rotl(lane[j] ^ (w * k2), 31) * k1;
        }
    }
    for (; n > 0; ++p, --n) lane[0] = std::rotl(lane[0] ^ *p, 11) * k1;
    uint64_t h = lane[0] ^ std::rotl(lane[1], 17) ^ std::rotl(lane[2], 33) ^ std::rotl(lane[3], 49);
    h ^= h >> 33;
    h *= k3;
    h ^= h >> 29;
    h *= k2;
    return h ^ (h >> 32);
}

template <class Accept>
std::optional<CompressedPayloadCache::GenerationHit> CompressedPayloadCache::load(int level, Accept accept) const {
    FdGuard f{::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (f.fd < 0) return std::nullopt;
    struct stat st{};
    // Another user's file, or one others may rewrite, could put made-up symbols in recordings.
    if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
        return std::nullopt;
    CacheHeader h{};
    if (!read_exactly(f.fd, &h, sizeof h)) return std::nullopt;
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.level != static_cast<uint32_t>(level) ||
        h.frame_size > kMaxFrame || h.frame_size == 0 || static_cast<uint64_t>(st.st_size) != sizeof h + h.frame_size)
        return std::nullopt;
    GenerationHit hit;
    hit.info = {h.raw_size, h.raw_hash, level, h.source_generation, {h.extra[0], h.extra[1]}};
    if (!accept(hit.info)) return std::nullopt;
    hit.frame = format::LargeBytes(static_cast<size_t>(h.frame_size));
    if (!read_exactly(f.fd, hit.frame.data(), hit.frame.size())) return std::nullopt;
    // One whole frame that says it holds raw_size bytes (a torn or foreign file fails here).
    if (ZSTD_findFrameCompressedSize(hit.frame.data(), hit.frame.size()) != hit.frame.size() ||
        ZSTD_getFrameContentSize(hit.frame.data(), hit.frame.size()) != h.raw_size)
        return std::nullopt;
    return hit;
}

std::optional<format::LargeBytes> CompressedPayloadCache::find(std::span<const uint8_t> raw, int level) const {
    return find(raw.size(), payload_hash(raw), level);
}

std::optional<format::LargeBytes> CompressedPayloadCache::find(uint64_t raw_size, uint64_t raw_hash, int level) const {
    auto hit = load(level, [&](const CachedPayloadInfo& info) {
        return info.raw_size == raw_size && info.raw_hash == raw_hash;
    });
    if (!hit) return std::nullopt;
    return std::move(hit->frame);
}

std::optional<CompressedPayloadCache::GenerationHit> CompressedPayloadCache::find_generation(uint64_t source_generation,
                                                                                             int level) const {
    if (source_generation == 0) return std::nullopt;
    return load(level, [&](const CachedPayloadInfo& info) { return info.source_generation == source_generation; });
}

bool CompressedPayloadCache::store(const CachedPayloadInfo& info, std::span<const uint8_t> frame) const {
    const std::filesystem::path file(path_);
    std::error_code ec;
    if (!std::filesystem::exists(file.parent_path(), ec)) {
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) return false;
        std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all, ec);
    }
    remove_stale_temporaries(path_);
    // Written aside and renamed over the old file: a reader never sees half of it.
    const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
    CacheHeader h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.level = static_cast<uint32_t>(info.level);
    h.raw_size = info.raw_size;
    h.raw_hash = info.raw_hash;
    h.source_generation = info.source_generation;
    h.extra[0] = info.extra[0];
    h.extra[1] = info.extra[1];
    h.frame_size = frame.size();
    bool ok;
    {
        FdGuard f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
        if (f.fd < 0) return false;
        ok = write_exactly(f.fd, &h, sizeof h) && write_exactly(f.fd, frame.data(), frame.size());
    }
    if (ok) ok = ::rename(tmp.c_str(), path_.c_str()) == 0;
    if (!ok) ::unlink(tmp.c_str());
    return ok;
}

}  // namespace kiln::recorder::sideband
