#include "recorder/monitor.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <future>
#include <limits>
#include <optional>

#include "recorder/essential_records.h"
#include "recorder/history_dump.h"
#include "recorder/history_ring.h"
#include "recorder/monitor_log.h"
#include "recorder/output_file.h"
#include "recorder/recording_session.h"
#include "recorder/signal_catcher.h"
#include "recorder/targets.h"
#include "recorder/trigger_watch.h"

namespace kiln::recorder {

namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr size_t kEssentialsChunkBytes = 2 << 20;

uint64_t realtime_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * kSecond + static_cast<uint64_t>(ts.tv_nsec);
}

std::string seconds_text(uint64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ns) / 1e9);
    return buf;
}

// MiB, as --max-bytes counts.
std::string megabytes_text(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1 << 20));
    return buf;
}

struct Trigger {
    TriggerHit hit;
    uint64_t at_ns = 0;        // CLOCK_MONOTONIC
    uint64_t realtime_ns = 0;
    LoadAverages load;
};

struct DumpInFlight {
    MonitorEvent event;
    std::future<Result<uint64_t>> written;
};

class Monitor {
public:
    Monitor(const MonitorOptions& opt, const std::function<void(const std::string&)>& note,
            const std::function<void(const std::string&)>& print)
        : opt_(opt), note_(note), print_(print),
          history_(opt.record.zstd_level, opt.keep_ns + opt.after_ns, opt.max_bytes) {}

    Result<MonitorSummary> run();

private:
    void drain_round(uint64_t now_ns);
    // False when the hit is suppressed (a dump pending, the cooldown, --max-dumps); say_why
    // prints the reason (for one-off triggers: a signal; a level trigger would flood).
    bool on_hit(const TriggerHit& hit, uint64_t now_ns, bool say_why = false);
    void start_dump(uint64_t now_ns);
    // Logs and reports a dump whose writing ended; wait: block until it has.
    void collect_dump(bool wait);
    void status_line();
    bool dumps_exhausted() const { return opt_.max_dumps > 0 && summary_.triggers >= opt_.max_dumps; }

    const MonitorOptions& opt_;
    const std::function<void(const std::string&)>& note_;
    const std::function<void(const std::string&)>& print_;
    HistoryRing history_;
    EssentialRecords essentials_;
    std::unique_ptr<RecordingSession> session_;
    std::unique_ptr<TriggerWatch> triggers_;
    uint64_t started_ns_ = 0;
    std::optional<Trigger> pending_;
    std::optional<DumpInFlight> writing_;
    uint64_t last_trigger_ns_ = 0;
    bool triggered_once_ = false;
    uint64_t suppressed_since_status_ = 0;
    MonitorSummary summary_;
};

void Monitor::drain_round(uint64_t now_ns) {
    DrainLoop& drain = session_->drain();
    drain.drain_all();
    drain.flush_if_due(std::chrono::steady_clock::now());
    history_.expire(now_ns);
    drain.forget_processes(essentials_.prune(history_.oldest_sequence()));
    history_.set_reserved_bytes(essentials_.bytes());
}

bool Monitor::on_hit(const TriggerHit& hit, uint64_t now_ns, bool say_why) {
    const bool cooling = triggered_once_ && now_ns < last_trigger_ns_ + opt_.cooldown_ns;
    if (pending_ || cooling || dumps_exhausted()) {
        if (say_why)
            print_("kiln monitor: " + hit.trigger + " ignored: " +
                   (pending_  ? std::string("a dump is pending")
                    : cooling ? "within --cooldown (" + seconds_text(last_trigger_ns_ + opt_.cooldown_ns - now_ns) + " left)"
                              : "--max-dumps reached"));
        ++summary_.suppressed;
        ++suppressed_since_status_;
        return false;
    }
    Trigger t;
    t.hit = hit;
    t.at_ns = now_ns;
    t.realtime_ns = realtime_now_ns();
    if (auto load = read_loadavg()) t.load = *load;
    last_trigger_ns_ = now_ns;
    triggered_once_ = true;
    ++summary_.triggers;
    char value[64];
    std::snprintf(value, sizeof value, "%.2f", hit.value);
    print_("kiln monitor: " + hit.trigger + " at " + iso8601_utc(t.realtime_ns) + " (" +
           seconds_text(now_ns - started_ns_) + " in; value " + value + ", " + std::to_string(t.load.running) +
           " running); dumping in " + seconds_text(opt_.after_ns));
    pending_ = t;
    return true;
}

void Monitor::start_dump(uint64_t now_ns) {
    collect_dump(/*wait=*/true);  // one dump at a time
    const Trigger t = *pending_;
    pending_.reset();
    DrainLoop& drain = session_->drain();
    drain.drain_all();
    drain.flush();
    session_->pipeline().wait_idle();

    const uint64_t recording_start = session_->header().start_time_ns;
    const uint64_t from_ns = std::max(recording_start, t.at_ns > opt_.keep_ns ? t.at_ns - opt_.keep_ns : 0);
    DumpContents c;
    c.history = history_.snapshot(from_ns);
    // The history may have lost older chunks to --max-bytes: the dump starts where its records do.
    uint64_t first_sequence = std::numeric_limits<uint64_t>::max();
    uint64_t start_ns = from_ns;
    for (const auto& s : c.history.series)
        if (s->type == format::ChunkType::kPerfRecords) {
            first_sequence = s->sequence;
            start_ns = std::max(from_ns, s->started_ns);
            break;
        }
    c.essentials = essentials_.payloads_before(first_sequence, kEssentialsChunkBytes);
    c.end = session_->end_sideband();
    c.header = session_->header();
    c.header.start_time_ns = start_ns;
    c.header.start_realtime_ns += start_ns - recording_start;
    c.stats = dump_stats(c.history, now_ns);
    c.stats.build_id_failures = c.end.build_id_failures;
    c.zstd_level = opt_.record.zstd_level;

    MonitorEvent e;
    e.realtime_ns = t.realtime_ns;
    e.t_s = static_cast<double>(t.at_ns - started_ns_) / 1e9;
    e.trigger = t.hit.trigger;
    e.value = t.hit.value;
    e.load1 = t.load.load1;
    e.load5 = t.load.load5;
    e.load15 = t.load.load15;
    e.running = t.load.running;
    e.file = timestamped_path(opt_.dir + "/kiln", ".kiln", t.realtime_ns);
    e.samples = c.stats.samples;
    e.before_s = static_cast<double>(t.at_ns - std::min(t.at_ns, start_ns)) / 1e9;
    e.after_s = static_cast<double>(std::max(c.stats.end_time_ns, t.at_ns) - t.at_ns) / 1e9;
    const std::string path = e.file;
    writing_.emplace(DumpInFlight{std::move(e), std::async(std::launch::async, [path, c = std::move(c)] {
                                      return write_dump(path, c);
                                  })});
}

void Monitor::collect_dump(bool wait) {
    if (!writing_) return;
    if (!wait && writing_->written.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    auto written = writing_->written.get();
    MonitorEvent e = std::move(writing_->event);
    writing_.reset();
    if (written) {
        e.bytes = *written;
        ++summary_.dumps;
        char line[160];
        std::snprintf(line, sizeof line, " (%s, %llu samples, %.1f s before and %.1f s after the trigger)",
                      megabytes_text(e.bytes).c_str(), static_cast<unsigned long long>(e.samples), e.before_s,
                      e.after_s);
        print_("kiln monitor: wrote " + e.file + line);
    } else {
        ++summary_.failed;
        e.error = written.error().message;
        print_("kiln monitor: could not write the dump of " + e.trigger + ": " + e.error + " (monitoring goes on)");
        e.file.clear();
    }
    if (auto s = append_event(opt_.dir + "/events.jsonl", e); !s) note_(s.error().message);
}

void Monitor::status_line() {
    const HistoryHeld h = history_.held();
    const uint64_t held_ns = h.chunks > 0 && h.newest_ns > h.oldest_ns ? h.newest_ns - h.oldest_ns : 0;
    const uint64_t bytes = h.bytes + essentials_.bytes();
    std::string line = "kiln monitor: holding " + seconds_text(held_ns) + ", " + megabytes_text(bytes) +
                       " (limit " + seconds_text(opt_.keep_ns + opt_.after_ns) + ", " +
                       megabytes_text(opt_.max_bytes) + "); " + std::to_string(summary_.dumps) + " dumps";
    if (suppressed_since_status_ > 0)
        line += ", " + std::to_string(suppressed_since_status_) + " trigger checks suppressed (cooldown, a dump pending or --max-dumps)";
    if (h.dropped_for_bytes > 0) line += ", " + std::to_string(h.dropped_for_bytes) + " chunks dropped early for --max-bytes";
    suppressed_since_status_ = 0;
    print_(line);
}

Result<MonitorSummary> Monitor::run() {
    struct stat st{};
    if (::stat(opt_.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return make_error("-o " + opt_.dir + ": not a directory (create it first)");
    if (::access(opt_.dir.c_str(), W_OK) != 0)
        return make_error("-o " + opt_.dir + ": not writable: " + std::strerror(errno));
    auto session = RecordingSession::open(opt_.record, note_);
    if (!session) return session.error();
    session_ = std::move(*session);

    const auto signal_spec = std::find_if(opt_.triggers.begin(), opt_.triggers.end(),
                                          [](const TriggerSpec& t) { return t.kind == TriggerKind::kSignal; });
    const bool on_signal = signal_spec != opt_.triggers.end();
    const size_t signal_index = static_cast<size_t>(signal_spec - opt_.triggers.begin());
    SignalCatcher signals({SIGUSR2});
    if (auto s = session_->start(history_, [](const format::RecordingHeader&) -> Status { return {}; }); !s)
        return s.error();
    // After the start: a command's pid is known from then on.
    TriggerTarget tt;
    tt.system_wide = session_->target().events.system_wide;
    tt.tasks = session_->target().events.tasks;  // the threads of -p/-t, or the command
    tt.cpus = session_->target().events.cpus;
    auto watch = TriggerWatch::open(opt_.triggers, tt, note_);
    if (!watch) return watch.error();
    triggers_ = std::move(*watch);
    started_ns_ = session_->header().start_time_ns;
    session_->drain().tap_sideband([this](const perf_event_header& h, const uint8_t* rec, uint64_t sequence) {
        essentials_.add(h, rec, sequence);
    });

    std::string names;
    for (const auto& t : opt_.triggers) names += (names.empty() ? "" : ", ") + t.text;
    print_("kiln monitor: watching " + names + "; a trigger writes " + seconds_text(opt_.keep_ns) + " before and " +
           seconds_text(opt_.after_ns) + " after it to " + opt_.dir + " (Ctrl-C to stop)");

    std::vector<pollfd> pfds;
    pfds.push_back({signals.fd(), POLLIN, 0});
    for (auto& r : session_->rings()) pfds.push_back({r.fd(), POLLIN, 0});
    const size_t first_trigger_fd = pfds.size();
    triggers_->add_poll_fds(pfds);

    const Target& target = session_->target();
    const bool timed = opt_.record.duration_s > 0;
    const uint64_t deadline = timed ? started_ns_ + static_cast<uint64_t>(opt_.record.duration_s * 1e9)
                                    : std::numeric_limits<uint64_t>::max();
    // Triggers other than signals are checked every --check-interval.
    const bool ticks = std::any_of(opt_.triggers.begin(), opt_.triggers.end(),
                                   [](const TriggerSpec& t) { return t.kind != TriggerKind::kSignal; });
    uint64_t next_check = started_ns_ + opt_.check_interval_ns;
    uint64_t next_drain = started_ns_ + kSecond;
    uint64_t next_status = opt_.status_interval_ns > 0 ? started_ns_ + opt_.status_interval_ns
                                                       : std::numeric_limits<uint64_t>::max();
    uint64_t last_watch = started_ns_;
    bool stop = false;
    int forward_signal = 0;
    while (!stop) {
        uint64_t now = monotonic_ns();
        uint64_t wake = std::min({next_drain, next_status, deadline});
        if (ticks) wake = std::min(wake, next_check);
        if (pending_) wake = std::min(wake, pending_->at_ns + opt_.after_ns);
        if (writing_) wake = std::min(wake, now + 50'000'000);  // look for the dump's end
        const int timeout_ms = wake <= now ? 0 : static_cast<int>(std::min<uint64_t>((wake - now + 999'999) / 1'000'000, 1000));
        const int n = ::poll(pfds.data(), pfds.size(), timeout_ms);
        if (n < 0 && errno != EINTR) return make_error(std::string("poll failed: ") + std::strerror(errno));
        now = monotonic_ns();
        bool ring_ready = false, trigger_ready = false;
        for (size_t i = 1; i < pfds.size(); ++i) {
            if (!pfds[i].revents) continue;
            if (i < first_trigger_fd) {
                ring_ready = true;
                if (pfds[i].revents & (POLLHUP | POLLERR)) pfds[i].fd = -1;
            } else {
                trigger_ready = true;
            }
        }
        if (pfds[0].revents & POLLIN) {
            signalfd_siginfo si{};
            while (::read(signals.fd(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                if (si.ssi_signo == SIGCHLD) continue;
                if (si.ssi_signo == SIGUSR2) {
                    if (on_signal) on_hit(TriggerHit{signal_index, "signal", 1}, now, /*say_why=*/true);
                    else note_("SIGUSR2 ignored: no --trigger signal was given");
                    continue;
                }
                stop = true;
                forward_signal = static_cast<int>(si.ssi_signo);
            }
        }
        if (session_->reap_child()) stop = true;
        if (ring_ready || now >= next_drain) {
            drain_round(now);
            next_drain = now + kSecond;
        }
        if (trigger_ready || (ticks && now >= next_check)) {
            if (auto hit = triggers_->check(now, pfds))
                if (on_hit(*hit, now)) triggers_->rearm();
            while (next_check <= now) next_check += opt_.check_interval_ns;
        }
        if (pending_ && now >= pending_->at_ns + opt_.after_ns) start_dump(now);
        collect_dump(/*wait=*/false);
        if (now >= next_status) {
            status_line();
            while (next_status <= now) next_status += opt_.status_interval_ns;
        }
        if (now >= deadline) stop = true;
        if (dumps_exhausted() && !pending_ && !writing_) {
            print_("kiln monitor: --max-dumps " + std::to_string(opt_.max_dumps) + " reached; stopping");
            stop = true;
        }
        if (!target.watch_pids.empty() && now - last_watch >= 250'000'000) {
            last_watch = now;
            if (std::none_of(target.watch_pids.begin(), target.watch_pids.end(), process_alive)) stop = true;
        }
    }
    // A trigger whose --after had not passed is dumped with what there is.
    if (pending_) start_dump(monotonic_ns());
    collect_dump(/*wait=*/true);
    session_->stop(forward_signal);
    if (auto s = session_->finish(); !s) note_("history: " + s.error().message);
    return summary_;
}

}  // namespace

Result<MonitorSummary> monitor(const MonitorOptions& opt, const std::function<void(const std::string&)>& note,
                               const std::function<void(const std::string&)>& print) {
    if (opt.triggers.empty()) return make_error("no --trigger given: say when to dump (e.g. --trigger load>=8)");
    if (opt.keep_ns == 0) return make_error("--keep must be more than 0");
    Monitor m(opt, note, print);
    return m.run();
}

}  // namespace kiln::recorder
