#include "tools/bench/anomaly/nab_files.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace kiln::nab {

namespace {

// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool read_int(std::string_view text, size_t at, size_t len, int64_t& out) {
    if (at + len > text.size()) return false;
    const char* b = text.data() + at;
    auto [end, ec] = std::from_chars(b, b + len, out);
    return ec == std::errc() && end == b + len;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '"')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split(std::string_view line) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        const size_t comma = line.find(',', start);
        out.push_back(trim(line.substr(start, comma - start)));
        if (comma == std::string_view::npos) return out;
        start = comma + 1;
    }
}

double parse_double(std::string_view text, const std::string& where) {
    // strtod: from_chars for double is missing from older libstdc++.
    const std::string s(text);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) throw FileError(where + ": not a number: '" + s + "'");
    return v;
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw FileError(path + ": cannot open");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw FileError(path + ": not JSON: " + e.what());
    }
}

int64_t bound_of(const nlohmann::json& j, const std::string& path) {
    if (j.is_string()) return parse_timestamp_us(j.get<std::string>());
    if (j.is_number()) return std::llround(j.get<double>() * 1e6);
    throw FileError(path + ": a window bound must be a timestamp string or a number of seconds");
}

std::vector<TimeWindow> windows_of(const nlohmann::json& list, const std::string& path) {
    if (!list.is_array()) throw FileError(path + ": windows must be a list of [start, end] pairs");
    std::vector<TimeWindow> out;
    for (const nlohmann::json& pair : list) {
        if (!pair.is_array() || pair.size() != 2) throw FileError(path + ": a window must be a [start, end] pair");
        out.push_back({bound_of(pair[0], path), bound_of(pair[1], path)});
        if (out.back().end_us < out.back().start_us) throw FileError(path + ": a window ends before it starts");
    }
    return out;
}

}  // namespace

int64_t parse_timestamp_us(std::string_view text) {
    text = trim(text);
    int64_t y, mo, d, h, mi, s;
    if (text.size() >= 19 && text[4] == '-' && text[7] == '-' && (text[10] == ' ' || text[10] == 'T') &&
        read_int(text, 0, 4, y) && read_int(text, 5, 2, mo) && read_int(text, 8, 2, d) && read_int(text, 11, 2, h) &&
        read_int(text, 14, 2, mi) && read_int(text, 17, 2, s)) {
        int64_t us = 0;
        if (text.size() > 19) {
            if (text[19] != '.') throw FileError("not a timestamp: '" + std::string(text) + "'");
            int64_t scale = 100000;
            for (size_t i = 20; i < text.size(); ++i, scale /= 10) {
                if (text[i] < '0' || text[i] > '9') throw FileError("not a timestamp: '" + std::string(text) + "'");
                us += (text[i] - '0') * scale;
            }
        }
        return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 * 1000000 + s * 1000000 + us;
    }
    const std::string s_text(text);
    char* end = nullptr;
    const double seconds = std::strtod(s_text.c_str(), &end);
    if (s_text.empty() || end != s_text.c_str() + s_text.size() || !std::isfinite(seconds))
        throw FileError("not a timestamp (YYYY-MM-DD HH:MM:SS or seconds): '" + s_text + "'");
    return std::llround(seconds * 1e6);
}

SeriesFile read_series_csv(const std::string& path, bool want_values, bool want_scores) {
    std::ifstream in(path);
    if (!in) throw FileError(path + ": cannot open");
    std::string line;
    if (!std::getline(in, line)) throw FileError(path + ": empty");
    const std::vector<std::string_view> header = split(line);
    auto column = [&](std::string_view name, bool needed) -> long {
        auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end()) {
            if (needed) throw FileError(path + ": no column '" + std::string(name) + "'");
            return -1;
        }
        return it - header.begin();
    };
    const long t_col = column("timestamp", true);
    const long v_col = column("value", want_values);
    const long s_col = column("anomaly_score", want_scores);
    SeriesFile f;
    size_t line_no = 1;
    while (std::getline(in, line)) {
        ++line_no;
        if (trim(line).empty()) continue;
        const std::vector<std::string_view> cells = split(line);
        const std::string where = path + ":" + std::to_string(line_no);
        const auto cell = [&](long c) {
            if (static_cast<size_t>(c) >= cells.size()) throw FileError(where + ": too few columns");
            return cells[static_cast<size_t>(c)];
        };
        f.time_text.emplace_back(cell(t_col));
        try {
            f.time_us.push_back(parse_timestamp_us(f.time_text.back()));
        } catch (const FileError& e) {
            throw FileError(where + ": " + e.what());
        }
        if (want_values) f.values.push_back(parse_double(cell(v_col), where));
        if (want_scores) f.anomaly_scores.push_back(parse_double(cell(s_col), where));
    }
    return f;
}

std::map<std::string, std::vector<TimeWindow>> read_corpus_windows(const std::string& path) {
    const nlohmann::json j = read_json(path);
    if (!j.is_object()) throw FileError(path + ": expected an object of file -> windows");
    std::map<std::string, std::vector<TimeWindow>> out;
    for (const auto& [name, list] : j.items()) out[name] = windows_of(list, path);
    return out;
}

std::vector<TimeWindow> read_file_windows(const std::string& path) {
    const nlohmann::json j = read_json(path);
    if (j.is_array()) return windows_of(j, path);
    if (j.is_object() && j.size() == 1) return windows_of(j.begin().value(), path);
    throw FileError(path + ": expected {\"NAME\": [[start, end], ...]} with one key, or [[start, end], ...]");
}

std::vector<RowWindow> rows_of_windows(const std::vector<int64_t>& time_us, const std::vector<TimeWindow>& windows,
                                       const std::string& what) {
    std::vector<RowWindow> out;
    for (const TimeWindow& w : windows) {
        // Rows are in time order; the first row at/after the start, the last at/before the end.
        const auto first = std::lower_bound(time_us.begin(), time_us.end(), w.start_us);
        const auto past = std::upper_bound(time_us.begin(), time_us.end(), w.end_us);
        if (first >= past) throw FileError(what + ": a labelled window holds no row");
        RowWindow r{static_cast<size_t>(first - time_us.begin()), static_cast<size_t>(past - time_us.begin()) - 1};
        if (!out.empty() && r.first <= out.back().last) throw FileError(what + ": labelled windows overlap");
        out.push_back(r);
    }
    return out;
}

void write_results_csv(const std::string& path, const SeriesFile& data, const std::vector<double>& scores) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path);
    if (!out) throw FileError(path + ": cannot write");
    out << "timestamp,value,anomaly_score\n";
    // Shortest round-trip text: the sweep tells scores apart by their exact value.
    char buf[64];
    const auto put = [&](double v) {
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        out.write(buf, end - buf);
    };
    for (size_t i = 0; i < data.time_text.size(); ++i) {
        out << data.time_text[i] << ',';
        put(i < data.values.size() ? data.values[i] : 0.0);
        out << ',';
        put(scores[i]);
        out << '\n';
    }
    if (!out) throw FileError(path + ": write failed");
}

}  // namespace kiln::nab
