// `kiln record --switch-output`: chunks go to the current file; switch_to() ends it (end
// sideband, stats of what it holds) and starts the next one with the header, the
// recording-wide sideband stored so far (kernel symbols and image, modules, the /proc snapshot)
// and the essential records of what is still running (essential_records.h), so that every file
// is a complete recording that symbolizes on its own.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "formats/chunk_writer.h"
#include "formats/recording_header.h"
#include "formats/recording_stats.h"
#include "recorder/chunk_pipeline.h"
#include "recorder/history_ring.h"
#include "recorder/recording_session.h"

namespace kiln::recorder {

struct FinishedFile {
    std::string path;
    uint64_t bytes = 0;
    uint64_t samples = 0;
};

class RotatingFileSink final : public ChunkSink {
public:
    RotatingFileSink(int zstd_level, int small_chunk_level) : level_(zstd_level), small_level_(small_chunk_level) {}
    ~RotatingFileSink() override;

    // Creates path and writes the preamble and header; the first file.
    Status open_first(const std::string& path, const format::RecordingHeader& header);
    Status store(const ChunkBuffer& buf) override;

    // Ends the current file (end sideband, then STATS from `stats` with this file's samples and
    // losses) and starts path; when path cannot be started (created, or given its header,
    // sideband and essentials), it is removed and store() fails from then on with the error. Call with the pipeline idle (chunks stored meanwhile by other
    // threads go to whichever file is current).
    Result<FinishedFile> switch_to(const std::string& path, const format::RecordingHeader& header,
                                   const EndSideband& end, format::RecordingStats stats,
                                   const std::vector<std::vector<uint8_t>>& essentials);
    // The current file's samples and lost records, and its bytes so far.
    uint64_t samples() const;
    uint64_t lost() const;
    uint64_t bytes() const;
    const std::string& path() const { return path_; }

private:
    // Creates path and writes the preamble, header, the pinned sideband and the essentials; when
    // one fails, removes the file and keeps the error in broken_.
    Status start_locked(const std::string& path, const format::RecordingHeader& header,
                        const std::vector<std::vector<uint8_t>>& essentials);
    // Removes the current file, closes it, and keeps `why` in broken_.
    void remove_file_locked(const Status& why);

    int level_;
    int small_level_;
    mutable std::mutex mu_;
    int fd_ = -1;
    std::string path_;
    std::unique_ptr<format::ChunkWriter> writer_;  // null once a switch failed
    Status broken_{make_error("no output file is open")};  // why there is no writer
    std::vector<StoredChunk> pinned_;  // recording-wide sideband as stored, for the next files
    uint64_t samples_ = 0, lost_ = 0;
};

}  // namespace kiln::recorder
