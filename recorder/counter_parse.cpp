#include "recorder/counter_parse.h"

#include "recorder/sideband/text_fields.h"

namespace kiln::recorder {

using sideband::next_field;
using sideband::next_line;
using sideband::parse_number;

namespace {

// "12.34" -> 12340 with scale 1000 (or 1234 with scale 100): fixed point without strtod and
// its locale. Decimals beyond the scale are cut.
bool parse_fixed(std::string_view s, uint32_t scale, uint32_t& out) {
    const size_t dot = s.find('.');
    uint32_t whole = 0;
    if (!parse_number(s.substr(0, dot), 10, whole)) return false;
    uint32_t frac = 0;
    uint32_t unit = scale;
    if (dot != std::string_view::npos) {
        for (char c : s.substr(dot + 1)) {
            if (c < '0' || c > '9') return false;
            if (unit > 1) {
                unit /= 10;
                frac += static_cast<uint32_t>(c - '0') * unit;
            }
        }
    }
    out = whole * scale + frac;
    return true;
}

// The value of "key=value", or "" when the field is another key.
std::string_view value_of(std::string_view field, std::string_view key) {
    if (field.size() <= key.size() || field.substr(0, key.size()) != key || field[key.size()] != '=') return {};
    return field.substr(key.size() + 1);
}

Error bad(const char* file, std::string_view text) {
    return make_error(std::string("cannot parse ") + file + ": '" + std::string(text.substr(0, 80)) + "'");
}

// "avg10=1.25 avg60=... avg300=... total=123" after "some"/"full".
bool parse_pressure_line(std::string_view rest, format::PressureLine& out) {
    bool avg = false, total = false;
    for (std::string_view f = next_field(rest); !f.empty(); f = next_field(rest)) {
        if (auto v = value_of(f, "avg10"); !v.empty()) avg = parse_fixed(v, 100, out.avg10_centi);
        if (auto v = value_of(f, "total"); !v.empty()) total = parse_number(v, 10, out.total_us);
    }
    return avg && total;
}

// "Name:\t  123 kB" -> 123.
bool status_value(std::string_view line, std::string_view name, uint64_t& out) {
    if (line.size() <= name.size() || line.substr(0, name.size()) != name || line[name.size()] != ':') return false;
    line.remove_prefix(name.size() + 1);
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) return false;
    line.remove_prefix(start);
    return parse_number(line.substr(0, line.find(' ')), 10, out);
}

}  // namespace

Result<LoadAvg> parse_loadavg(std::string_view text) {
    const std::string_view line = next_line(text);
    std::string_view s = line;
    LoadAvg l;
    const std::string_view a = next_field(s), b = next_field(s), c = next_field(s), rq = next_field(s);
    const size_t slash = rq.find('/');
    if (!parse_fixed(a, 1000, l.load1_milli) || !parse_fixed(b, 1000, l.load5_milli) ||
        !parse_fixed(c, 1000, l.load15_milli) || slash == std::string_view::npos ||
        !parse_number(rq.substr(0, slash), 10, l.running) || !parse_number(rq.substr(slash + 1), 10, l.threads))
        return bad("/proc/loadavg", line);
    return l;
}

Status parse_proc_stat(std::string_view text, ProcStat& out) {
    out.cpus.clear();
    bool running = false, blocked = false;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        std::string_view rest = line;
        const std::string_view key = next_field(rest);
        if (key.size() > 3 && key.substr(0, 3) == "cpu") {
            format::CpuTimes t;
            if (!parse_number(key.substr(3), 10, t.cpu)) return bad("/proc/stat", line);
            // user nice system idle iowait irq softirq steal guest guest_nice; older kernels
            // print fewer columns (the missing ones count as 0). guest is inside user already.
            uint64_t v[8] = {};
            for (uint64_t& x : v) {
                const std::string_view f = next_field(rest);
                if (f.empty()) break;
                if (!parse_number(f, 10, x)) return bad("/proc/stat", line);
            }
            t.busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
            t.idle_ticks = v[3] + v[4];
            out.cpus.push_back(t);
        } else if (key == "procs_running") {
            running = parse_number(next_field(rest), 10, out.procs_running);
        } else if (key == "procs_blocked") {
            blocked = parse_number(next_field(rest), 10, out.procs_blocked);
        }
    }
    if (!running || !blocked) return make_error("cannot parse /proc/stat: no procs_running/procs_blocked lines");
    return Status::success();
}

Result<format::Pressure> parse_pressure(std::string_view text) {
    format::Pressure p;
    bool some = false;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        std::string_view rest = line;
        const std::string_view kind = next_field(rest);
        if (kind == "some") {
            if (!parse_pressure_line(rest, p.some)) return bad("a /proc/pressure file", line);
            some = true;
        } else if (kind == "full") {
            if (!parse_pressure_line(rest, p.full)) return bad("a /proc/pressure file", line);
        }
    }
    if (!some) return make_error("cannot parse a /proc/pressure file: no \"some\" line");
    p.present = true;
    return p;
}

Result<PidStat> parse_pid_stat(std::string_view text) {
    PidStat st;
    const size_t open = text.find(" (");
    const size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
        !parse_number(text.substr(0, open), 10, st.pid))
        return bad("/proc/PID/stat", text);
    std::string_view after = text.substr(close + 1);
    std::string_view rest = next_line(after);
    // Fields from 3 on: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss
    std::string_view f[22];
    for (auto& x : f) x = next_field(rest);
    if (f[0].size() != 1 || !parse_number(f[6], 10, st.flags) || !parse_number(f[11], 10, st.utime) ||
        !parse_number(f[12], 10, st.stime) || !parse_number(f[19], 10, st.start_ticks) ||
        !parse_number(f[21], 10, st.rss_pages))
        return bad("/proc/PID/stat", text);
    st.state = f[0][0];
    return st;
}

Result<PidStatus> parse_pid_status(std::string_view text) {
    PidStatus s;
    bool vol = false, invol = false;
    while (!text.empty() && !(vol && invol)) {
        const std::string_view line = next_line(text);
        vol = vol || status_value(line, "voluntary_ctxt_switches", s.voluntary_switches);
        invol = invol || status_value(line, "nonvoluntary_ctxt_switches", s.involuntary_switches);
    }
    if (!vol || !invol) return make_error("cannot parse /proc/PID/status: no context switch lines");
    return s;
}

Result<PidIo> parse_pid_io(std::string_view text) {
    PidIo io;
    bool r = false, w = false;
    while (!text.empty()) {
        std::string_view rest = next_line(text);
        const std::string_view key = next_field(rest);
        // Exactly these keys: "cancelled_write_bytes:" must not count as write_bytes.
        if (key == "read_bytes:") r = parse_number(next_field(rest), 10, io.read_bytes);
        else if (key == "write_bytes:") w = parse_number(next_field(rest), 10, io.write_bytes);
    }
    if (!r || !w) return make_error("cannot parse /proc/PID/io: no read_bytes/write_bytes lines");
    return io;
}

}  // namespace kiln::recorder
