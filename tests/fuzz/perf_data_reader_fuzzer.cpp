// libFuzzer target: any bytes through the perf.data reader, its header features and every
// record of the data section, compressed ones decompressed. It must never crash, hang or read
// out of bounds; errors and warnings are fine.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "formats/perf_data.h"

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
    return 0;
}
