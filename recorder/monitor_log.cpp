#include "recorder/monitor_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

namespace kiln::recorder {

std::string iso8601_utc(uint64_t realtime_ns) {
    const time_t secs = static_cast<time_t>(realtime_ns / 1000000000ull);
    tm utc{};
    gmtime_r(&secs, &utc);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(buf + n, sizeof buf - n, ".%03uZ", static_cast<unsigned>(realtime_ns / 1000000ull % 1000));
    return buf;
}

namespace {

// v to `per` parts of a unit (1000: milliseconds), printed without binary noise.
double rounded(double v, double per) { return std::round(v * per) / per; }

}  // namespace

std::string to_json_line(const MonitorEvent& e) {
    nlohmann::ordered_json j;
    j["time"] = iso8601_utc(e.realtime_ns);
    j["t_s"] = rounded(e.t_s, 1000);
    j["trigger"] = e.trigger;
    j["value"] = rounded(e.value, 100);
    j["load1"] = e.load1;
    j["load5"] = e.load5;
    j["load15"] = e.load15;
    j["running"] = e.running;
    j["file"] = e.file;
    j["bytes"] = e.bytes;
    j["samples"] = e.samples;
    j["before_s"] = rounded(e.before_s, 1000);
    j["after_s"] = rounded(e.after_s, 1000);
    if (!e.error.empty()) j["error"] = e.error;
    j["time_ns"] = e.realtime_ns;
    return j.dump();
}

Result<MonitorEvent> parse_event_line(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return make_error("not a JSON object");
    MonitorEvent e;
    try {
        e.realtime_ns = j.value("time_ns", uint64_t{0});
        e.t_s = j.value("t_s", 0.0);
        e.trigger = j.value("trigger", std::string());
        e.value = j.value("value", 0.0);
        e.load1 = j.value("load1", 0.0);
        e.load5 = j.value("load5", 0.0);
        e.load15 = j.value("load15", 0.0);
        e.running = j.value("running", 0);
        e.file = j.value("file", std::string());
        e.bytes = j.value("bytes", uint64_t{0});
        e.samples = j.value("samples", uint64_t{0});
        e.before_s = j.value("before_s", 0.0);
        e.after_s = j.value("after_s", 0.0);
        e.error = j.value("error", std::string());
    } catch (const nlohmann::json::exception& ex) {
        return make_error(std::string("a field of the wrong type: ") + ex.what());
    }
    if (e.trigger.empty()) return make_error("no \"trigger\"");
    return e;
}

Status append_event(const std::string& path, const MonitorEvent& e) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
    const std::string line = to_json_line(e) + "\n";
    const ssize_t n = ::write(fd, line.data(), line.size());
    const int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(line.size()))
        return make_error("cannot append to " + path + ": " + (n < 0 ? std::strerror(err) : "short write"));
    return {};
}

Result<std::vector<MonitorEvent>> read_events(const std::string& path) {
    std::ifstream in(path);
    if (!in) return make_error("cannot read " + path + ": " + std::strerror(errno));
    std::vector<MonitorEvent> out;
    std::string line;
    for (size_t number = 1; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        auto e = parse_event_line(line);
        if (!e) return make_error(path + ":" + std::to_string(number) + ": " + e.error().message);
        out.push_back(std::move(*e));
    }
    return out;
}

}  // namespace kiln::recorder
