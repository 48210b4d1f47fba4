// The monitor's log of triggers, DIR/events.jsonl: one JSON object per line, appended as each
// dump is written (or fails), read back by `kiln monitor --events DIR`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/result.h"

namespace kiln::recorder {

struct MonitorEvent {
    uint64_t realtime_ns = 0;  // when the trigger fired (CLOCK_REALTIME)
    double t_s = 0;            // seconds since the monitor started
    std::string trigger;       // the --trigger spec that fired
    double value = 0;          // what it measured: tasks, percent, hits
    double load1 = 0, load5 = 0, load15 = 0;
    int running = 0;           // runnable tasks (procs_running) at the trigger
    std::string file;          // the dump's path ("" when it was not written)
    uint64_t bytes = 0;
    uint64_t samples = 0;
    double before_s = 0;       // history the dump holds before the trigger
    double after_s = 0;        // ... and after it
    std::string error;         // why the dump was not written
};

std::string iso8601_utc(uint64_t realtime_ns);  // "2026-12-06T21:04:05.123Z"
std::string to_json_line(const MonitorEvent& e);  // without the newline
Result<MonitorEvent> parse_event_line(std::string_view line);
// Appends one line to path (created 0600).
Status append_event(const std::string& path, const MonitorEvent& e);
// Every line of path; a line that does not parse is an error naming its number.
Result<std::vector<MonitorEvent>> read_events(const std::string& path);

}  // namespace kiln::recorder
