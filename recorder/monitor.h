// `kiln monitor`: records continuously into memory (history_ring.h), throws old data away, and
// on a trigger writes the window [trigger - keep, trigger + after] as a normal recording in the
// output directory, logs the moment in DIR/events.jsonl, and goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "formats/result.h"
#include "recorder/record_options.h"
#include "recorder/trigger_spec.h"

namespace kiln::recorder {

struct MonitorOptions {
    RecordOptions record;  // events, target, rates, -d (output unused)
    std::string dir;
    uint64_t keep_ns = 30'000'000'000;
    uint64_t after_ns = 5'000'000'000;
    uint64_t cooldown_ns = 60'000'000'000;
    uint64_t max_dumps = 0;             // 0: no limit
    uint64_t max_bytes = 256ull << 20;  // history, pinned sideband and essential records
    uint64_t check_interval_ns = 10'000'000;
    uint64_t status_interval_ns = 10'000'000'000;  // 0: no status lines
    std::vector<TriggerSpec> triggers;
};

struct MonitorSummary {
    uint64_t triggers = 0;    // that led to a dump (written or failed)
    uint64_t dumps = 0;       // written
    uint64_t failed = 0;
    uint64_t suppressed = 0;  // checks that fired inside the cooldown or past --max-dumps
};

// print() gets the lines meant for the user (each trigger, each dump, the status line);
// note() the one-off notes (fallbacks, warnings).
Result<MonitorSummary> monitor(const MonitorOptions& opt, const std::function<void(const std::string&)>& note,
                               const std::function<void(const std::string&)>& print);

}  // namespace kiln::recorder
