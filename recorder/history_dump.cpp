#include "recorder/history_dump.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "formats/chunk_writer.h"
#include "formats/sideband.h"
#include "recorder/fd_guard.h"
#include "recorder/output_file.h"

namespace kiln::recorder {

format::RecordingStats dump_stats(const HistoryRing::Snapshot& history, uint64_t fallback_end_ns) {
    format::RecordingStats s;
    s.end_time_ns = fallback_end_ns;
    for (const auto& c : history.series) {
        if (c->type != format::ChunkType::kPerfRecords) continue;
        s.samples += c->samples;
        s.lost_records += c->lost;
        s.end_time_ns = c->ended_ns;
    }
    s.stop_reason = static_cast<uint32_t>(format::StopReason::kMonitorDump);
    return s;
}

namespace {

Status write_all_chunks(format::ChunkWriter& w, const DumpContents& c) {
    KILN_TRY(w.write_preamble());
    KILN_TRY(w.write_chunk(format::ChunkType::kHeader, format::encode(c.header)));
    for (const auto& p : c.history.pinned) KILN_TRY(w.write_stored_chunk(p->type, p->compression, p->raw_size, p->payload));
    for (const auto& e : c.essentials) KILN_TRY(w.write_chunk(format::ChunkType::kPerfRecords, e));
    for (const auto& s : c.history.series) KILN_TRY(w.write_stored_chunk(s->type, s->compression, s->raw_size, s->payload));
    for (const auto& [type, payload] : c.end.chunks()) KILN_TRY(w.write_chunk(type, payload));
    return w.write_chunk(format::ChunkType::kStats, format::encode(c.stats));
}

}  // namespace

Result<uint64_t> write_dump(const std::string& path, const DumpContents& contents) {
    auto fd = create_output_file(path);
    if (!fd) return fd.error();
    FdGuard guard{*fd};
    format::ChunkWriter writer(*fd, path, contents.zstd_level);
    Status s = write_all_chunks(writer, contents);
    if (s.ok() && ::fsync(*fd) != 0 && errno != EINVAL)
        s = make_error("cannot sync " + path + ": " + std::strerror(errno));
    if (!s.ok()) {
        // A dump that did not fit (a full disk) is not left to fill it further.
        ::unlink(path.c_str());
        return s.error();
    }
    return writer.bytes_written();
}

}  // namespace kiln::recorder
