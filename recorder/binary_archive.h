// kiln record --archive: the binaries the recorded processes mapped, stored in the recording as
// BINARY chunks (formats/archived_binary.h) so that it symbolizes and unwinds on a machine that
// lacks them, as `perf archive` packs perf's build-id cache. Each file is read from kiln's
// build-id cache copy (recorder/sideband/binary_capture.h), else its path when the build-id there
// is the recorded one, else through the process (/proc/PID/map_files, /proc/PID/root) if it
// still runs. Done once, at the end of a recording.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "recorder/sideband/binary_capture.h"

namespace kiln::recorder {

struct ArchiveSummary {
    size_t files = 0;
    uint64_t bytes = 0;
    std::vector<std::string> left_out;  // "PATH (build-id HEX): why"
};

// submit gets each BINARY payload. Files are taken in the order given until max_bytes; the
// rest are left out (and listed).
ArchiveSummary archive_binaries(const std::vector<sideband::BinaryCapture::Offered>& files, const std::string& cache_dir,
                                uint64_t max_bytes, const std::function<void(std::vector<uint8_t>)>& submit);

}  // namespace kiln::recorder
