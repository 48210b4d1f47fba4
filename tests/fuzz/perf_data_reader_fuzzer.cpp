// libFuzzer target: any bytes through the perf.data reader, its header features and every
// record of the data section, compressed ones decompressed, then through the import into a
// kiln recording (in a memfd), read back chunk by chunk and summarized as `kiln info` does.
// It must never crash, hang or read out of bounds; errors and warnings are fine.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/perf_data.h"
#include "formats/perf_data_import.h"
#include "formats/recording_reader.h"
#include "formats/recording_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    auto reader = kiln::format::PerfDataReader::from_bytes(std::move(bytes), "fuzz");
    if (!reader.ok()) return 0;
    std::vector<std::string> warnings;
    uint64_t types = 0;
    auto status = (*reader)->for_each_record(
        [&](std::span<const uint8_t> record) {
            types += record[0];  // touch every record's first byte
            return true;
        },
        warnings);
    (void)status;
    const int fd = memfd_create("fuzz-import", MFD_CLOEXEC);
    if (fd < 0) return 0;
    std::vector<std::string> notes;
    if (kiln::format::import_perf_data(**reader, fd, "fuzz", notes).ok()) {
        struct stat st{};
        std::vector<uint8_t> recording;
        if (fstat(fd, &st) == 0) {
            recording.resize(static_cast<size_t>(st.st_size));
            if (pread(fd, recording.data(), recording.size(), 0) != st.st_size) recording.clear();
        }
        if (auto kiln = kiln::format::RecordingReader::from_source(
                kiln::format::memory_source(std::move(recording)), "fuzz-import"))
            (void)kiln::format::summarize(**kiln);
    }
    close(fd);
    return 0;
}
