#include "recorder/binary_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "formats/archived_binary.h"
#include "formats/cache_dirs.h"
#include "formats/kiln_format.h"
#include "formats/sideband.h"
#include "recorder/fd_guard.h"
#include "recorder/sideband/proc_binary_paths.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

namespace {

// A BINARY payload must fit a chunk with its build-id and path.
constexpr uint64_t kMaxFileBytes = format::kMaxChunkRawSize - (1u << 20);

// The BINARY payload of the file at path: the prefix, then the file read straight after it.
Result<std::vector<uint8_t>> payload_of(const std::string& path, const sideband::BinaryCapture::Offered& f) {
    FdGuard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) return make_error(path + ": " + std::strerror(errno));
    struct stat st{};
    if (::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) return make_error(path + ": not a regular file");
    if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes)
        return make_error(path + ": " + std::to_string(st.st_size >> 20) + " MiB, larger than a chunk holds");
    const auto size = static_cast<size_t>(st.st_size);
    std::vector<uint8_t> payload = format::archived_binary_prefix(f.build_id, f.path, static_cast<uint32_t>(size));
    const size_t prefix = payload.size();
    payload.resize(prefix + size);
    size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd.fd, payload.data() + prefix + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(path + ": " + std::strerror(errno));
        if (n == 0) return make_error(path + ": shrank while read");
        done += static_cast<size_t>(n);
    }
    return payload;
}

}  // namespace

ArchiveSummary archive_binaries(const std::vector<sideband::BinaryCapture::Offered>& files, const std::string& cache_dir,
                                uint64_t max_bytes, const std::function<void(std::vector<uint8_t>)>& submit) {
    ArchiveSummary out;
    for (const auto& f : files) {
        const std::string hex = format::build_id_hex(f.build_id);
        const auto [map_file, in_root] = sideband::proc_binary_paths(f.pid, f.start, f.end, f.path);
        std::string why;
        bool done = false;
        for (const std::string& src : {format::build_id_cache_file(cache_dir, hex), f.path, map_file, in_root}) {
            if (src.empty()) continue;
            auto id = read_build_id(src);
            if (!id || *id != f.build_id) continue;  // another file there now, or none
            auto payload = payload_of(src, f);
            if (!payload) {
                why = payload.error().message;
                continue;
            }
            if (out.bytes + payload->size() > max_bytes) {
                why = "the archive would pass its limit of " + std::to_string(max_bytes >> 20) + " MiB";
                break;
            }
            out.bytes += payload->size();
            ++out.files;
            submit(std::move(*payload));
            done = true;
            break;
        }
        if (!done) out.left_out.push_back(f.path + " (build-id " + hex + "): " + (why.empty() ? "no file with that build-id is left" : why));
    }
    return out;
}

}  // namespace kiln::recorder
