#include "tools/kernel_symbols_lookup.h"

#include <zstd.h>

#include "analyzer/decode/record_stream.h"
#include "formats/kiln_format.h"
#include "recorder/sideband/compressed_payload_cache.h"

namespace kiln::tools {

void use_kernel_symbols_cache() {
    analyzer::set_kernel_symbols_lookup([](const format::KallsymsRef& ref) -> std::optional<format::LargeBytes> {
        const std::string file = recorder::sideband::kernel_symbols_cache_file();
        if (file.empty() || ref.level <= 0 || ref.raw_size > format::kMaxChunkRawSize) return std::nullopt;
        auto frame = recorder::sideband::CompressedPayloadCache(file).find(ref.raw_size, ref.raw_hash, ref.level);
        if (!frame) return std::nullopt;
        format::LargeBytes raw(ref.raw_size);
        const size_t n = ZSTD_decompress(raw.data(), raw.size(), frame->data(), frame->size());
        if (ZSTD_isError(n) || n != raw.size() || recorder::sideband::payload_hash(raw) != ref.raw_hash) return std::nullopt;
        return raw;
    });
}

}  // namespace kiln::tools
