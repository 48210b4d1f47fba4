#include "analyzer/decode/archive_extract.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "formats/archived_binary.h"
#include "formats/sideband.h"

namespace kiln::analyzer {

namespace {

Status write_file(const std::string& path, std::span<const uint8_t> bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return make_error("cannot create " + path + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            return make_error("cannot write " + path + ": " + std::strerror(err));
        }
        done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) return make_error("cannot write " + path + ": " + std::strerror(errno));
    return {};
}

}  // namespace

ExtractedArchive::~ExtractedArchive() {
    if (dir_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

ExtractedArchive::ExtractedArchive(ExtractedArchive&& other) noexcept
    : dir_(std::exchange(other.dir_, std::string())), count_(other.count_), vdso_build_id_(std::move(other.vdso_build_id_)) {}

Result<ExtractedArchive> ExtractedArchive::extract(format::RecordingReader& reader, std::vector<std::string>& warnings) {
    ExtractedArchive out;
    Status failed;
    Status scanned = reader.scan(format::ChunkType::kBinary, [&](const format::Chunk& c) {
        if (!failed) return;
        auto bin = format::decode_archived_binary(c.data);
        if (!bin) {
            warnings.push_back(reader.name() + ": binary chunk at byte " + std::to_string(c.file_offset) + ": " +
                               bin.error().message);
            return;
        }
        if (out.dir_.empty()) {
            std::string tmpl = (std::filesystem::temp_directory_path() / "kiln-archive-XXXXXX").string();
            if (!::mkdtemp(tmpl.data())) {
                failed = make_error("cannot make a directory for " + reader.name() + "'s archived binaries: " +
                                    std::strerror(errno));
                return;
            }
            out.dir_ = tmpl;
        }
        if (bin->path == format::kVdsoBinaryPath) out.vdso_build_id_.assign(bin->build_id.begin(), bin->build_id.end());
        const std::string hex = format::build_id_hex(bin->build_id);
        const std::filesystem::path file = std::filesystem::path(out.dir_) / ".build-id" / hex.substr(0, 2) / hex.substr(2);
        std::error_code ec;
        if (std::filesystem::exists(file, ec)) return;  // archived twice
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) {
            failed = make_error("cannot create " + file.parent_path().string() + ": " + ec.message());
            return;
        }
        if (Status st = write_file(file.string(), bin->bytes); !st) {
            failed = st;
            return;
        }
        ++out.count_;
    });
    if (!scanned) return scanned.error();
    if (!failed) return failed.error();
    return out;
}

Result<ExtractedArchive> ExtractedArchive::extract_for(format::RecordingReader& reader, LocatorOptions& locator,
                                                       std::vector<std::string>& warnings) {
    auto archive = extract(reader, warnings);
    if (archive && !archive->dir().empty()) locator.debug_dirs.push_back(archive->dir());
    return archive;
}

}  // namespace kiln::analyzer
