// libFuzzer target: any bytes through the recording reader and every chunk decoder.
// It must never crash, hang or read out of bounds; errors and warnings are fine.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/recording_reader.h"
#include "formats/recording_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    auto reader = kiln::format::RecordingReader::from_source(kiln::format::memory_source(std::move(bytes)), "fuzz");
    if (!reader.ok()) return 0;
    auto summary = kiln::format::summarize(**reader);
    (void)summary;
    return 0;
}
