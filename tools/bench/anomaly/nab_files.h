// NAB's files: the data and results CSVs (timestamp first, then named columns, no quoting) and
// the windows JSON. Readers throw FileError naming the file and what was wrong; kiln-nab's
// main turns it into a message.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tools/bench/anomaly/nab_scoring.h"

namespace kiln::nab {

struct FileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "YYYY-MM-DD HH:MM:SS[.ffffff]" (as NAB writes them, taken as UTC) or a plain number of
// seconds; microseconds. Throws FileError when neither.
int64_t parse_timestamp_us(std::string_view text);

struct SeriesFile {
    std::vector<std::string> time_text;  // as read, to write results with the same timestamps
    std::vector<int64_t> time_us;
    std::vector<double> values;          // the "value" column, when asked for
    std::vector<double> anomaly_scores;  // the "anomaly_score" column, when asked for
};
SeriesFile read_series_csv(const std::string& path, bool want_values, bool want_scores);

// A labelled window in time: its first and last timestamps.
struct TimeWindow {
    int64_t start_us = 0, end_us = 0;
};
// labels/combined_windows.json: data file path (relative to data/) -> its windows.
std::map<std::string, std::vector<TimeWindow>> read_corpus_windows(const std::string& path);
// One file's windows: {"NAME": [[start, end], ...]} with one key, or [[start, end], ...].
// Bounds are timestamp strings or numbers of seconds.
std::vector<TimeWindow> read_file_windows(const std::string& path);

// The rows each window spans: from the first row at or after its start to the last row at or
// before its end (NAB's windows start and end exactly on rows). Throws when a window holds no
// row or windows overlap.
std::vector<RowWindow> rows_of_windows(const std::vector<int64_t>& time_us, const std::vector<TimeWindow>& windows,
                                       const std::string& what);

// A NAB results file: timestamp,value,anomaly_score.
void write_results_csv(const std::string& path, const SeriesFile& data, const std::vector<double>& scores);

}  // namespace kiln::nab
