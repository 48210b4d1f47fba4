// The binaries a recording archived (BINARY chunks, kiln record --archive), written before the
// records stream into a private directory laid out as a build-id tree (DIR/.build-id/ab/cdef...),
// which the binary locator takes as one more debug directory. DWARF unwinding needs them while
// the records stream, so they are read first (RecordingReader::scan). The directory goes with
// the object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/symbolize/binary_locator.h"
#include "formats/recording_reader.h"
#include "formats/result.h"

namespace kiln::analyzer {

class ExtractedArchive {
public:
    ExtractedArchive() = default;
    ~ExtractedArchive();
    ExtractedArchive(ExtractedArchive&& other) noexcept;
    ExtractedArchive& operator=(ExtractedArchive&&) = delete;
    ExtractedArchive(const ExtractedArchive&) = delete;

    // Nothing is written when the recording archived nothing. Malformed chunks are warnings
    // (they name the recording); an error only when the directory cannot be made or written.
    static Result<ExtractedArchive> extract(format::RecordingReader& reader, std::vector<std::string>& warnings);

    // extract(), then the directory added to the locator's debug directories.
    static Result<ExtractedArchive> extract_for(format::RecordingReader& reader, LocatorOptions& locator,
                                                std::vector<std::string>& warnings);

    const std::string& dir() const { return dir_; }  // "" when nothing was archived
    size_t count() const { return count_; }
    // The build-id of the recording's vdso image (format::kVdsoBinaryPath), empty when it has none.
    const std::vector<uint8_t>& vdso_build_id() const { return vdso_build_id_; }

private:
    std::string dir_;
    size_t count_ = 0;
    std::vector<uint8_t> vdso_build_id_;
};

}  // namespace kiln::analyzer
