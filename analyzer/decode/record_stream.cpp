#include "analyzer/decode/record_stream.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>

#include "analyzer/decode/chunk_prefetcher.h"
#include "formats/kallsyms_compact.h"
#include "formats/kiln_format.h"

namespace kiln::analyzer {

EventTable::EventTable(const format::RecordingHeader& header) {
    for (size_t i = 0; i < header.events.size(); ++i) {
        const perf_event_attr attr = header.events[i].perf_attr();
        attrs_.push_back(attr);
        layouts_.push_back(format::SampleLayout::from_attr(attr));
        for (uint64_t id : header.events[i].ids) event_of_id_[id] = static_cast<int>(i);
    }
}

int EventTable::event_of(std::span<const uint8_t> record) const {
    if (layouts_.size() == 1) return 0;
    auto it = event_of_id_.find(format::record_identifier(record));
    return it == event_of_id_.end() ? -1 : it->second;
}

namespace {

KernelSymbolsLookup& kernel_symbols_lookup() {
    static KernelSymbolsLookup lookup;
    return lookup;
}

Result<KernelSymbolIndex> index_kernel_symbols(format::ChunkType type, std::span<const uint8_t> payload) {
    KernelSymbolIndex index;
    Status st = format::for_each_kernel_symbol(type, payload, [&](const format::KernelSymbolView& s) {
        index.add(s.address, s.name, s.module);
    });
    if (!st) return st.error();
    index.finish();
    return index;
}

// Time of a sample without parsing all of it: TIME follows IDENTIFIER, IP and TID.
uint64_t sample_time(const format::SampleLayout& layout, std::span<const uint8_t> rec) {
    if (!(layout.sample_type & PERF_SAMPLE_TIME)) return 0;
    size_t off = sizeof(perf_event_header);
    if (layout.sample_type & PERF_SAMPLE_IDENTIFIER) off += 8;
    if (layout.sample_type & PERF_SAMPLE_IP) off += 8;
    if (layout.sample_type & PERF_SAMPLE_TID) off += 8;
    if (off + 8 > rec.size()) return 0;
    uint64_t t;
    std::memcpy(&t, rec.data() + off, 8);
    return t;
}

// Delivers the records of a round in time order. Each records chunk is copied once into a
// block; pending records point into their block, and a block is recycled when its last
// record has been delivered, so no record is copied again however long it waits.
class RoundSorter {
public:
    explicit RoundSorter(const EventTable& events, RecordVisitor& visitor, ChunkPrefetcher& chunks)
        : events_(events), visitor_(visitor), chunks_(chunks) {}

    // The chunk whose records add() receives next: its buffer becomes a block, so records are
    // never copied; the block goes back to `chunks` once its last record is delivered.
    void begin_chunk(PrefetchedChunk&& chunk) {
        chunk_base_ = chunk.buffer.data();
        blocks_.push_back(Block{std::move(chunk.buffer), 0});
    }

    void add(const perf_event_header& h, std::span<const uint8_t> rec) {
        if (h.type == format::kRecordRoundEnd) {
            flush(previous_round_max_);
            previous_round_max_ = max_time_;
            return;
        }
        const int event = events_.event_of(rec);
        uint64_t time = 0;
        if (event >= 0) {
            const auto& layout = events_.layout(event);
            time = h.type == PERF_RECORD_SAMPLE ? sample_time(layout, rec) : format::parse_sample_id(layout, rec).time;
        }
        // Records without a time stay where they were, after the record before them.
        if (time == 0) time = last_time_;
        last_time_ = time;
        max_time_ = std::max(max_time_, time);
        const uint64_t block = first_block_ + blocks_.size() - 1;
        pending_.push_back({time, seq_++, block, static_cast<size_t>(rec.data() - chunk_base_), rec.size(), event});
        ++blocks_.back().live;
    }

    void flush(uint64_t limit) {
        auto ready = std::stable_partition(pending_.begin(), pending_.end(),
                                           [limit](const Pending& p) { return p.time <= limit; });
        std::sort(pending_.begin(), ready,
                  [](const Pending& a, const Pending& b) { return a.time != b.time ? a.time < b.time : a.seq < b.seq; });
        for (auto it = pending_.begin(); it != ready; ++it) deliver(*it);
        pending_.erase(pending_.begin(), ready);
        // Recycle delivered blocks, keeping the one records are still being added to.
        while (blocks_.size() > 1 && blocks_.front().live == 0) {
            chunks_.recycle(std::move(blocks_.front().bytes));
            blocks_.pop_front();
            ++first_block_;
        }
    }

    void finish() { flush(UINT64_MAX); }
    uint64_t delivered() const { return delivered_; }

private:
    struct Pending {
        uint64_t time;
        uint64_t seq;
        uint64_t block;
        size_t offset;
        size_t size;
        int event;
    };
    struct Block {
        std::vector<uint8_t> bytes;
        size_t live = 0;  // records of this block not yet delivered
    };

    void deliver(const Pending& p) {
        Block& b = blocks_[p.block - first_block_];
        std::span<const uint8_t> rec(b.bytes.data() + p.offset, p.size);
        perf_event_header h;
        std::memcpy(&h, rec.data(), sizeof h);
        visitor_.record(h, rec, p.event, p.time);
        --b.live;
        ++delivered_;
    }

    const EventTable& events_;
    RecordVisitor& visitor_;
    std::deque<Block> blocks_;
    uint64_t first_block_ = 0;  // number of blocks_.front() since the start
    ChunkPrefetcher& chunks_;
    const uint8_t* chunk_base_ = nullptr;
    std::vector<Pending> pending_;
    uint64_t seq_ = 0;
    uint64_t last_time_ = 0;
    uint64_t max_time_ = 0;
    uint64_t previous_round_max_ = 0;
    uint64_t delivered_ = 0;
};

template <typename T>
void decode_into(Result<T> r, T& out, const char* what, uint64_t offset, std::vector<std::string>& warnings) {
    if (r)
        out = std::move(*r);
    else
        warnings.push_back(std::string(what) + " chunk at byte " + std::to_string(offset) + ": " + r.error().message);
}

}  // namespace

void set_kernel_symbols_lookup(KernelSymbolsLookup lookup) { kernel_symbols_lookup() = std::move(lookup); }

Result<StreamResult> stream_recording(format::RecordingReader& reader, RecordVisitor& visitor) {
    StreamResult out;
    EventTable events(reader.header());
    std::future<Result<KernelSymbolIndex>> kallsyms;
    uint64_t kallsyms_offset = 0;
    bool kallsyms_whole = false;  // a whole table was seen: KALLSYMS_TOUCHED adds nothing then
    std::optional<format::KallsymsRef> kallsyms_ref;
    reader.all_types_but(format::ChunkType::kBinary);  // archived binaries are read before (archive_extract.h)
    ChunkPrefetcher chunks(reader);
    RoundSorter sorter(events, visitor, chunks);
    while (true) {
        auto next = chunks.next();
        if (!next) return next.error();
        if (!*next) break;
        PrefetchedChunk& chunk = **next;
        for (const auto& w : chunk.warnings)
            out.warnings.push_back(reader.name() + ": records chunk at byte " + std::to_string(chunk.file_offset) + ": " + w);
        const struct {
            format::ChunkType type;
            uint64_t file_offset;
            std::span<const uint8_t> data;
        } c{chunk.type, chunk.file_offset, chunk.data()};
        switch (c.type) {
            case format::ChunkType::kPerfRecords: {
                sorter.begin_chunk(std::move(chunk));  // c.data stays valid: the block owns the bytes
                Status st = format::for_each_record(
                    c.data, [&](const perf_event_header& h, std::span<const uint8_t> rec) { sorter.add(h, rec); });
                if (!st)
                    out.warnings.push_back(reader.name() + ": records chunk at byte " + std::to_string(c.file_offset) +
                                           ": " + st.error().message);
                break;
            }
            case format::ChunkType::kProcSnapshot: {
                format::ProcessSnapshot snap;
                decode_into(format::decode_process_snapshot(c.data), snap, "process snapshot", c.file_offset,
                            out.warnings);
                visitor.snapshot(snap);
                break;
            }
            case format::ChunkType::kKallsyms:
            case format::ChunkType::kKallsymsCompact:
            case format::ChunkType::kKallsymsFolded:
            case format::ChunkType::kKallsymsTouched:
                if (c.type == format::ChunkType::kKallsymsTouched && kallsyms_whole) break;
                kallsyms_whole |= format::is_whole_kallsyms_chunk(c.type);
                // Decoding 100k+ symbols takes a while and nothing needs them before the stream
                // ends: a thread of its own does it meanwhile, on a buffer it owns.
                if (kallsyms.valid()) kallsyms.wait();
                kallsyms = std::async(std::launch::async, [bytes = std::move(chunk.buffer), size = chunk.size, type = c.type] {
                    return index_kernel_symbols(type, {bytes.data(), size});
                });
                kallsyms_offset = c.file_offset;
                break;
            case format::ChunkType::kKallsymsRef: {
                auto ref = format::decode_kallsyms_ref(c.data);
                if (ref) kallsyms_ref = *ref;
                else out.warnings.push_back(reader.name() + ": " + ref.error().message);
                break;
            }
            case format::ChunkType::kModules:
                decode_into(format::decode_kernel_modules(c.data), out.sideband.modules, "modules", c.file_offset,
                            out.warnings);
                break;
            case format::ChunkType::kKernelInfo:
                decode_into(format::decode_kernel_image(c.data), out.sideband.kernel, "kernel info", c.file_offset,
                            out.warnings);
                break;
            case format::ChunkType::kPerfMap: {
                format::PerfMapFile map;
                decode_into(format::decode_perf_map(c.data), map, "perf map", c.file_offset, out.warnings);
                if (map.pid != 0) out.sideband.perf_maps.push_back(std::move(map));
                break;
            }
            case format::ChunkType::kBuildIds: {
                format::BuildIdTable table;
                decode_into(format::decode_build_ids(c.data), table, "build-ids", c.file_offset, out.warnings);
                for (auto& e : table.entries) out.sideband.build_ids.entries.push_back(std::move(e));
                break;
            }
            case format::ChunkType::kStats: {
                auto stats = format::decode_recording_stats(c.data);
                if (stats) {
                    out.sideband.stats = *stats;
                    out.sideband.has_stats = true;
                } else {
                    out.warnings.push_back("stats chunk: " + stats.error().message);
                }
                break;
            }
            case format::ChunkType::kCounters: {
                format::CounterChunk counters;
                decode_into(format::decode_counter_chunk(c.data), counters, "counters", c.file_offset, out.warnings);
                if (!counters.snapshots.empty()) {
                    out.sideband.counter_ticks_per_second = counters.ticks_per_second;
                    out.sideband.counter_interval_ns = counters.interval_ns;
                }
                for (auto& s : counters.snapshots) out.sideband.counters.push_back(std::move(s));
                break;
            }
            case format::ChunkType::kPidNamespaces: {
                format::PidNamespaceMap ns;
                decode_into(format::decode_pid_namespaces(c.data), ns, "pid namespaces", c.file_offset, out.warnings);
                out.sideband.pid_namespaces.insert(ns.begin(), ns.end());
                break;
            }
            case format::ChunkType::kHeader:
            case format::ChunkType::kBinary:  // read before the stream (archive_extract.h)
                break;
        }
        if (c.type != format::ChunkType::kPerfRecords && !format::is_kallsyms_chunk(c.type))
            chunks.recycle(std::move(chunk.buffer));
    }
    if (kallsyms.valid()) {
        decode_into(kallsyms.get(), out.sideband.kallsyms, "kallsyms", kallsyms_offset, out.warnings);
    } else if (kallsyms_ref) {
        // A recording that did not reach its end: the whole table from the cache it names.
        std::optional<format::LargeBytes> whole;
        if (kernel_symbols_lookup()) whole = kernel_symbols_lookup()(*kallsyms_ref);
        if (whole) {
            decode_into(index_kernel_symbols(format::ChunkType::kKallsymsFolded, *whole), out.sideband.kallsyms,
                        "cached kallsyms", 0, out.warnings);
        } else {
            char hash[17];
            std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(kallsyms_ref->raw_hash));
            out.warnings.push_back(reader.name() +
                                   ": kernel frames are not named: the recording ended before its kernel symbols "
                                   "were written (its recorder was killed), and kiln's cache here does not hold the "
                                   "table it names (hash " + hash + "); analyze it where and on the boot it was "
                                   "recorded, or record with --archive");
        }
    }
    sorter.finish();
    out.records = sorter.delivered();
    // Chunks are written in time order; sorting keeps consumers right if one ever is not.
    std::stable_sort(out.sideband.counters.begin(), out.sideband.counters.end(),
                     [](const auto& a, const auto& b) { return a.time_ns < b.time_ns; });
    for (const auto& w : reader.warnings()) out.warnings.push_back(w);
    return out;
}

}  // namespace kiln::analyzer
