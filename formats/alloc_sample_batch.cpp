#include "formats/alloc_sample_batch.h"

#include <string>

#include "formats/byte_cursor.h"

namespace kiln::format {

Result<AllocSampleBatch> decode_alloc_sample_batch(std::span<const uint8_t> stack) {
    ByteCursor in(stack, "allocation sample batch");
    uint64_t return_address = 0;
    uint32_t magic = 0, bytes = 0;
    uint16_t version = 0, count = 0;
    AllocSampleBatch batch;
    in.take(return_address);
    in.take(magic);
    in.take(version);
    in.take(count);
    in.take(bytes);
    in.take(batch.tid);
    in.take(batch.mean);
    if (in.failed()) return in.error();
    if (magic != KILN_ALLOC_BATCH_MAGIC) return make_error("allocation sample batch: no batch header in the copied stack");
    if (version != KILN_ALLOC_BATCH_VERSION)
        return make_error("allocation sample batch: version " + std::to_string(version) + " (this kiln reads " +
                          std::to_string(KILN_ALLOC_BATCH_VERSION) + ")");
    if (bytes > KILN_ALLOC_BATCH_RECORDS_BYTES || bytes > in.remaining())
        return make_error("allocation sample batch: " + std::to_string(bytes) + " bytes of records, " +
                          std::to_string(in.remaining()) + " copied");
    std::span<const uint8_t> body;
    in.take_bytes(bytes, body);
    ByteCursor records(body, "allocation sample batch");
    batch.records.reserve(count);
    for (uint16_t i = 0; i < count; ++i) {
        uint8_t kind = 0, frames = 0;
        uint16_t pad16 = 0;
        uint32_t pad32 = 0;
        AllocSampleRecord r;
        records.take(kind);
        records.take(frames);
        records.take(pad16);
        records.take(pad32);
        records.take(r.time);
        records.take(r.address);
        records.take(r.size);
        if (records.failed()) return records.error();
        if (kind != KILN_ALLOC_RECORD_ALLOC && kind != KILN_ALLOC_RECORD_FREE)
            return make_error("allocation sample batch: record " + std::to_string(i) + " of unknown kind " +
                              std::to_string(kind));
        if (frames > KILN_ALLOC_BATCH_MAX_FRAMES)
            return make_error("allocation sample batch: record " + std::to_string(i) + " has " + std::to_string(frames) +
                              " frames");
        r.kind = static_cast<AllocSampleKind>(kind);
        r.frames.resize(frames);
        for (auto& f : r.frames) records.take(f);
        if (records.failed()) return records.error();
        batch.records.push_back(std::move(r));
    }
    if (!records.at_end()) return make_error("allocation sample batch: " + std::to_string(records.remaining()) +
                                             " bytes after its " + std::to_string(count) + " records");
    return batch;
}

}  // namespace kiln::format
