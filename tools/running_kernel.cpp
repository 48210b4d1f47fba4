#include "tools/running_kernel.h"

#include <zstd.h>

#include <optional>

#include "formats/chunk_compressor.h"
#include "formats/perf_data_import.h"
#include "recorder/record_options.h"
#include "recorder/sideband/compressed_payload_cache.h"
#include "recorder/sideband/kernel_symbols_generation.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::tools {

namespace {

// kiln record's level for the kernel symbols' chunk, which its cache entry is kept at.
constexpr int kCacheLevel = recorder::RecordOptions{}.zstd_level;

// The payload kiln record cached for this generation of the kernel's symbols, decompressed
// (a few ms, where the kernel takes ~70 ms of CPU to print /proc/kallsyms); nullopt on a miss.
std::optional<recorder::KallsymsPayload> cached_kallsyms(const recorder::sideband::CompressedPayloadCache& cache,
                                                         uint64_t generation) {
    auto hit = cache.find_generation(generation, kCacheLevel);
    if (!hit) return std::nullopt;
    recorder::KallsymsPayload p;
    p.payload.resize(hit->info.raw_size);
    const size_t n = ZSTD_decompress(p.payload.data(), p.payload.size(), hit->frame.data(), hit->frame.size());
    if (ZSTD_isError(n) || n != p.payload.size()) return std::nullopt;
    p.text_start = hit->info.extra[0];
    p.text_end = hit->info.extra[1];
    return p;
}

// Fills the cache as kiln record would (best effort), with its chunk compressor.
void store_kallsyms(const recorder::sideband::CompressedPayloadCache& cache, uint64_t generation,
                    const recorder::KallsymsPayload& symbols) {
    format::ChunkCompressor compressor(kCacheLevel);
    auto frame = compressor.compress(symbols.payload);
    if (!frame || frame->compression != format::Compression::kZstd) return;
    const recorder::sideband::CachedPayloadInfo info{symbols.payload.size(),
                                                     recorder::sideband::payload_hash(symbols.payload), kCacheLevel,
                                                     generation, {symbols.text_start, symbols.text_end}};
    (void)cache.store(info, frame->bytes);
}

Result<format::RunningKernel> running_kernel() {
    const std::string file = recorder::sideband::kernel_symbols_cache_file();
    std::optional<recorder::sideband::CompressedPayloadCache> cache;
    uint64_t generation = 0;
    if (!file.empty()) {
        cache.emplace(file);
        generation = recorder::sideband::kernel_symbols_generation().value_or(0);
    }
    std::optional<recorder::KallsymsPayload> symbols;
    if (cache && generation != 0) symbols = cached_kallsyms(*cache, generation);
    if (!symbols) {
        auto read = recorder::read_kallsyms_payload();
        if (!read) return read.error();
        if (cache && generation != 0) store_kallsyms(*cache, generation, *read);
        symbols = std::move(*read);
    }
    auto image = recorder::read_kernel_image(*symbols);
    if (!image) return image.error();
    format::RunningKernel k;
    k.kallsyms_folded.assign(symbols->payload.begin(), symbols->payload.end());
    k.image = std::move(*image);
    if (auto modules = recorder::read_modules()) k.modules = std::move(*modules);
    return k;
}

}  // namespace

void use_running_kernel_for_perf_data() {
    format::set_running_kernel_source(running_kernel);
    format::set_kallsyms_file_source([](const std::string& path) -> Result<format::RunningKernel> {
        auto symbols = recorder::read_kallsyms_payload(path);
        if (!symbols) return symbols.error();
        format::RunningKernel k;
        k.kallsyms_folded.assign(symbols->payload.begin(), symbols->payload.end());
        k.image.text_start = symbols->text_start;
        k.image.text_end = symbols->text_end;
        return k;
    });
    format::set_local_build_id_source([](const std::string& path) {
        auto id = recorder::read_build_id(path);
        return id ? std::move(*id) : std::vector<uint8_t>{};
    });
}

}  // namespace kiln::tools
