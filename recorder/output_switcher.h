// `kiln record --switch-output DURATION|SIZE [--max-files N]`: a RotatingFileSink whose files
// are named after -o with their start time, switched when the period passes or the file
// reaches the size, the oldest deleted past N.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "recorder/essential_records.h"
#include "recorder/record_options.h"
#include "recorder/recording_session.h"
#include "recorder/rotating_file_sink.h"

namespace kiln::recorder {

class OutputSwitcher {
public:
    OutputSwitcher(const RecordOptions& opt, Note note);

    ChunkSink& sink() { return sink_; }
    // Creates the first file (the header written by RecordingSession::start).
    Status write_header(const format::RecordingHeader& header);
    // From here on, the sideband records the next files need are kept aside.
    void attach(DrainLoop& drain);
    // When the current file is due to end (CLOCK_MONOTONIC ns; max when only by size).
    uint64_t due_ns() const { return due_ns_; }
    // Switches when the period has passed or the file reached the size.
    Status switch_if_due(RecordingSession& rec, uint64_t now_ns);
    // The stats of the last file: its own samples and losses.
    void finish_stats(format::RecordingStats& stats) const;
    const std::string& path() const { return sink_.path(); }
    uint64_t bytes() const { return sink_.bytes(); }
    uint32_t files() const { return files_; }

private:
    std::string next_path() const;

    const RecordOptions& opt_;
    Note note_;
    RotatingFileSink sink_;
    EssentialRecords essentials_;
    std::string prefix_, ext_;
    uint64_t due_ns_ = 0;
    uint32_t files_ = 0;
    std::deque<std::string> finished_;  // oldest first, for --max-files
};

}  // namespace kiln::recorder
