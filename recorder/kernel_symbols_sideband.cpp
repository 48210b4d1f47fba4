#include "recorder/kernel_symbols_sideband.h"

#include <zstd.h>

#include <optional>

#include "formats/chunk_compressor.h"
#include "formats/kallsyms_subset.h"
#include "formats/sideband.h"
#include "recorder/sideband/compressed_payload_cache.h"
#include "recorder/sideband/kernel_symbols_generation.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::recorder {

void KernelSymbolsSideband::submit(ChunkPipeline& pipeline, int zstd_level, bool whole_table, const Note& note) {
    std::optional<sideband::CompressedPayloadCache> cache;
    if (const std::string file = sideband::kernel_symbols_cache_file(); zstd_level > 0 && !file.empty()) cache.emplace(file);
    // Before /proc/kallsyms is read: a module or BPF program that comes meanwhile then makes
    // the next recording read it again, never reuse symbols older than its key.
    const uint64_t generation = cache ? sideband::kernel_symbols_generation().value_or(0) : 0;
    format::KallsymsRef ref;
    ref.level = zstd_level;
    ref.generation = generation;
    bool cached = false;  // the cache file holds the whole table, compressed
    if (cache) {
        // While the generation stays the one cached, /proc/kallsyms is not read at all: the
        // kernel takes ~20 ms to print it, most of a short recording's CPU.
        if (auto hit = cache->find_generation(generation, zstd_level)) {
            KallsymsPayload range;
            range.text_start = hit->info.extra[0];
            range.text_end = hit->info.extra[1];
            if (auto image = read_kernel_image(range))
                pipeline.submit_sideband(format::ChunkType::kKernelInfo, format::encode(*image));
            ref.raw_size = hit->info.raw_size;
            ref.raw_hash = hit->info.raw_hash;
            raw_size_ = hit->info.raw_size;
            frame_ = std::move(hit->frame);
            cached = true;
        }
    }
    if (!cached) {
        auto syms = read_kallsyms_payload();
        if (!syms) {
            note("kernel symbols not recorded: " + syms.error().message);
        } else {
            if (auto image = read_kernel_image(*syms))
                pipeline.submit_sideband(format::ChunkType::kKernelInfo, format::encode(*image));
            const sideband::CachedPayloadInfo info{syms->payload.size(), sideband::payload_hash(syms->payload),
                                                   zstd_level, generation, {syms->text_start, syms->text_end}};
            ref.raw_size = info.raw_size;
            ref.raw_hash = info.raw_hash;
            ref.count = static_cast<uint32_t>(syms->count);
            if (cache) {
                if (auto frame = cache->find(info.raw_size, info.raw_hash, zstd_level)) {
                    // The same symbols under another generation (a BPF program came and went):
                    // the frame is kept with the generation it is now known for.
                    cached = generation == 0 || cache->store(info, *frame);
                } else {
                    format::ChunkCompressor compressor(zstd_level);
                    auto compressed = compressor.compress(syms->payload);
                    cached = compressed && compressed->compression == format::Compression::kZstd &&
                             cache->store(info, compressed->bytes);
                }
            }
            raw_ = std::move(syms->payload);
            raw_size_ = raw_.size();
        }
    }
    if (raw_size_ > 0) {
        if (whole_table || !cached) {
            // The cache cannot stand in for the table: it goes into the recording whole.
            if (!raw_.empty()) pipeline.submit_sideband(format::ChunkType::kKallsymsFolded, std::move(raw_));
            else pipeline.submit_compressed_sideband(format::ChunkType::kKallsymsFolded, raw_size_, std::move(frame_));
            raw_ = {};
            frame_ = {};
            whole_written_ = true;
        } else {
            pipeline.submit_sideband(format::ChunkType::kKallsymsRef, format::encode_kallsyms_ref(ref));
        }
    }
    auto mods = read_modules();
    if (mods) pipeline.submit_sideband(format::ChunkType::kModules, format::encode(*mods));
}

std::optional<std::vector<uint8_t>> KernelSymbolsSideband::touched(const format::KernelAddressSet& addresses) const {
    if (whole_written_ || raw_size_ == 0) return std::nullopt;
    if (raw_.empty()) {
        raw_.resize(raw_size_);
        const size_t n = ZSTD_decompress(raw_.data(), raw_.size(), frame_.data(), frame_.size());
        if (ZSTD_isError(n) || n != raw_.size()) {
            raw_ = {};
            return std::nullopt;
        }
        frame_ = {};
    }
    auto kept = format::kernel_symbols_touched(raw_, addresses.sorted());
    if (!kept) return std::nullopt;
    return std::vector<uint8_t>(kept->begin(), kept->end());
}

}  // namespace kiln::recorder
