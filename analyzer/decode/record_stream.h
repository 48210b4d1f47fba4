// Replays a recording as one time-ordered stream of perf records plus its sideband.
//
// The recorder appends each drain round's records CPU by CPU, so records of one round are
// not in time order across CPUs. Like perf's FINISHED_ROUND, each ROUND_END marker allows
// every buffered record up to the newest time seen before the previous marker to be
// delivered in time order; memory stays bounded by about two drain rounds.
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/symbolize/kernel_symbols.h"
#include "formats/counters.h"
#include "formats/kallsyms_subset.h"
#include "formats/large_buffer.h"
#include "formats/perf_sample.h"
#include "formats/recording_header.h"
#include "formats/pid_namespaces.h"
#include "formats/recording_reader.h"
#include "formats/recording_stats.h"
#include "formats/result.h"
#include "formats/sideband.h"

namespace kiln::analyzer {

// Sideband that arrives in its own chunks. Kernel symbols come before the records; build-ids
// and perf maps only at the end, so consumers resolve addresses after the stream ends.
struct RecordingSideband {
    KernelSymbolIndex kallsyms;
    format::KernelModules modules;
    format::KernelImage kernel;
    std::vector<format::PerfMapFile> perf_maps;
    format::BuildIdTable build_ids;
    format::RecordingStats stats;
    bool has_stats = false;
    // COUNTERS chunks (4.1): every snapshot in time order, with the clock ticks per second and
    // the interval of the last chunk (one recording has one of each).
    std::vector<format::CounterSnapshot> counters;
    uint32_t counter_ticks_per_second = 100;
    uint64_t counter_interval_ns = 0;
    format::PidNamespaceMap pid_namespaces;  // PID_NAMESPACES (4.2): container pids of host pids
};

// Where the whole kernel-symbol table of a KALLSYMS_REF (4.3) is looked for when a recording
// has no kernel symbols of its own (its recorder was killed before the file's end): kiln's
// cache on the recording machine, set by the program (tools/running_kernel.cpp). Returns the
// KALLSYMS_FOLDED payload whose size and hash the reference names, or nullopt.
using KernelSymbolsLookup = std::function<std::optional<format::LargeBytes>(const format::KallsymsRef&)>;
void set_kernel_symbols_lookup(KernelSymbolsLookup lookup);

// Which event a record belongs to, and how to parse it.
class EventTable {
public:
    explicit EventTable(const format::RecordingHeader& header);
    // Index into header.events of the record's event, or -1 if the id is unknown.
    int event_of(std::span<const uint8_t> record) const;
    const format::SampleLayout& layout(int event) const { return layouts_[static_cast<size_t>(event)]; }
    const perf_event_attr& attr(int event) const { return attrs_[static_cast<size_t>(event)]; }
    size_t size() const { return layouts_.size(); }

private:
    std::unordered_map<uint64_t, int> event_of_id_;
    std::vector<format::SampleLayout> layouts_;
    std::vector<perf_event_attr> attrs_;
};

class RecordVisitor {
public:
    virtual ~RecordVisitor() = default;
    // A process snapshot: the state of processes running when recording started.
    virtual void snapshot(const format::ProcessSnapshot& snapshot) = 0;
    // One kernel record, in time order. event is -1 when its id is unknown.
    virtual void record(const perf_event_header& header, std::span<const uint8_t> bytes, int event,
                        uint64_t time) = 0;
};

struct StreamResult {
    RecordingSideband sideband;
    std::vector<std::string> warnings;  // torn tail, corrupt chunks, unparsable records
    uint64_t records = 0;
};

// Reads every chunk of the recording, delivering records and snapshots to the visitor.
Result<StreamResult> stream_recording(format::RecordingReader& reader, RecordVisitor& visitor);

}  // namespace kiln::analyzer
