#include "recorder/rotating_file_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "formats/sideband.h"
#include "recorder/output_file.h"

namespace kiln::recorder {

namespace {

// Written once at the start of a recording, needed by every file of it: the kernel's symbols
// and the process snapshot (the vdso and the binaries --archive adds come at each file's end).
bool recording_wide(const ChunkBuffer& buf) {
    switch (buf.type) {
        case format::ChunkType::kKernelInfo:
        case format::ChunkType::kKallsymsFolded:
        case format::ChunkType::kModules:
        case format::ChunkType::kKallsymsRef:
        case format::ChunkType::kProcSnapshot: return true;
        default: return false;
    }
}

}  // namespace

RotatingFileSink::~RotatingFileSink() {
    if (fd_ >= 0) ::close(fd_);
}

Status RotatingFileSink::start_locked(const std::string& path, const format::RecordingHeader& header,
                                      const std::vector<std::vector<uint8_t>>& essentials) {
    auto fd = create_output_file(path);
    if (!fd) return broken_ = fd.error();
    fd_ = *fd;
    path_ = path;
    writer_ = std::make_unique<format::ChunkWriter>(fd_, path, level_, small_level_);
    samples_ = lost_ = 0;
    Status s = writer_->write_preamble();
    if (s.ok()) s = writer_->write_chunk(format::ChunkType::kHeader, format::encode(header));
    for (const auto& c : pinned_)
        if (s.ok()) s = writer_->write_stored_chunk(c.type, c.compression, c.raw_size, c.payload);
    for (const auto& e : essentials)
        if (s.ok()) s = writer_->write_chunk(format::ChunkType::kPerfRecords, e);
    // Not yet a recording of anything (a full disk): no file is left behind.
    if (!s.ok()) remove_file_locked(s);
    return s;
}

void RotatingFileSink::remove_file_locked(const Status& why) {
    ::unlink(path_.c_str());
    writer_.reset();
    ::close(fd_);
    fd_ = -1;
    broken_ = why;
}

Status RotatingFileSink::open_first(const std::string& path, const format::RecordingHeader& header) {
    std::lock_guard lock(mu_);
    return start_locked(path, header, {});
}

Status RotatingFileSink::store(const ChunkBuffer& buf) {
    std::lock_guard lock(mu_);
    if (!writer_) return broken_;
    Status s = buf.compressed_raw_size > 0 ? writer_->write_compressed_chunk(buf.type, buf.compressed_raw_size, buf.bytes())
                                           : writer_->write_chunk(buf.type, buf.bytes());
    if (!s.ok()) {
        // A file that holds no sample yet (the disk filled right after its sideband) is not a
        // recording of anything: it is removed, as when it could not be started.
        if (samples_ == 0) remove_file_locked(s);
        return s;
    }
    if (buf.on_written) buf.on_written(writer_->last_payload(), writer_->last_compression());
    if (buf.type == format::ChunkType::kPerfRecords) {
        samples_ += buf.samples;
        lost_ += buf.lost;
    }
    if (recording_wide(buf)) {
        StoredChunk c;
        c.type = buf.type;
        c.compression = writer_->last_compression();
        c.raw_size = buf.compressed_raw_size > 0 ? buf.compressed_raw_size : buf.bytes().size();
        c.payload.assign(writer_->last_payload().begin(), writer_->last_payload().end());
        pinned_.push_back(std::move(c));
    }
    return check_still_linked(fd_, path_);
}

Result<FinishedFile> RotatingFileSink::switch_to(const std::string& path, const format::RecordingHeader& header,
                                                 const EndSideband& end, format::RecordingStats stats,
                                                 const std::vector<std::vector<uint8_t>>& essentials) {
    std::lock_guard lock(mu_);
    if (!writer_) return broken_.error();
    for (const auto& [type, payload] : end.chunks()) KILN_TRY(writer_->write_chunk(type, payload));
    stats.samples = samples_;
    stats.lost_records = lost_;
    stats.build_id_failures = end.build_id_failures;
    KILN_TRY(writer_->write_chunk(format::ChunkType::kStats, format::encode(stats)));
    if (::fsync(fd_) != 0 && errno != EINVAL) return make_error("cannot sync " + path_ + ": " + std::strerror(errno));
    FinishedFile done{path_, writer_->bytes_written(), samples_};

    // The file that ended is closed first: when the next cannot be started, nothing more goes
    // after its STATS (store() returns the error from then on).
    writer_.reset();
    ::close(fd_);
    fd_ = -1;
    KILN_TRY(start_locked(path, header, essentials));
    return done;
}

uint64_t RotatingFileSink::samples() const {
    std::lock_guard lock(mu_);
    return samples_;
}

uint64_t RotatingFileSink::lost() const {
    std::lock_guard lock(mu_);
    return lost_;
}

uint64_t RotatingFileSink::bytes() const {
    std::lock_guard lock(mu_);
    return writer_ ? writer_->bytes_written() : 0;
}

}  // namespace kiln::recorder
