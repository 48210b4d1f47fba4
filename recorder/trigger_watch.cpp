#include "recorder/trigger_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "pmu/event_resolver.h"
#include "recorder/counter_parse.h"
#include "recorder/event_counter.h"
#include "recorder/rate_window.h"
#include "recorder/targets.h"

namespace kiln::recorder {

namespace {

constexpr uint64_t kWindowNs = 1'000'000'000;  // "over the last second"
constexpr size_t kReadBuffer = 4096;  // loadavg, a pressure file, a /proc/PID/stat

int open_ro(const std::string& path) { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }

Error bad(const TriggerSpec& spec, const std::string& why) {
    return make_error("trigger '" + spec.text + "': " + why);
}

// A kernel PSI trigger (Documentation/accounting/psi.rst): "some|full STALL_US WINDOW_US"
// written to the pressure file, then POLLPRI when the stall in any window reaches STALL_US.
// Returns the fd, or -1 with errno set.
int open_psi_trigger(const std::string& path, bool full, double percent, uint64_t window_us) {
    const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    const double window = static_cast<double>(window_us);
    const auto stall_us = static_cast<unsigned long long>(std::max(1.0, std::round(percent / 100 * window)));
    char text[64];
    const int n = std::snprintf(text, sizeof text, "%s %llu %llu", full ? "full" : "some", stall_us,
                                static_cast<unsigned long long>(window_us));
    // The kernel makes the last byte written the terminator: the NUL is written too.
    if (::write(fd, text, static_cast<size_t>(n) + 1) < 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

bool has_full_line(std::string_view text) { return text.starts_with("full ") || text.find("\nfull ") != text.npos; }

}  // namespace

struct TriggerWatch::Watched {
    TriggerSpec spec;
    int fd = -1;                 // loadavg, the pressure file, or /proc/PID/stat
    int trigger_fd = -1;         // the kernel PSI trigger, -1 when polling total=
    uint64_t last_event_ns = 0;  // the last PSI notification since rearm (0: none)
    // A kernel PSI trigger holds this long after its last notification: the kernel repeats it
    // at most once per window while the stall lasts, so 1.5 windows keep a lasting stall held.
    uint64_t hold_ns = 0;
    uint64_t next_read_ns = 0;   // the next read of total= (between notifications)
    uint64_t read_every_ns = 0;  // polled: how often total= is read
    std::optional<double> polled_value;  // polled: the verdict of the last read
    uint64_t value_event_ns = 0; // the notification held_value was read for
    double held_value = 0;
    bool gone = false;           // cpu: the process exited
    RateWindow window{kWindowNs};
    EventCounter counter;
    std::string path;  // of fd, for notes

    ~Watched() {
        if (fd >= 0) ::close(fd);
        if (trigger_fd >= 0) ::close(trigger_fd);
    }
};

TriggerWatch::TriggerWatch() : buf_(kReadBuffer) {}
TriggerWatch::~TriggerWatch() = default;

std::string_view TriggerWatch::read_fd(int fd) {
    if (fd < 0) return {};
    const ssize_t n = ::pread(fd, buf_.data(), buf_.size(), 0);
    return n > 0 ? std::string_view(buf_.data(), static_cast<size_t>(n)) : std::string_view{};
}

Result<std::unique_ptr<TriggerWatch>> TriggerWatch::open(const std::vector<TriggerSpec>& specs,
                                                         const TriggerTarget& target,
                                                         const std::function<void(const std::string&)>& note) {
    std::unique_ptr<TriggerWatch> tw(new TriggerWatch());
    tw->note_ = note;
    for (const TriggerSpec& spec : specs) {
        auto w = std::make_unique<Watched>();
        w->spec = spec;
        switch (spec.kind) {
            case TriggerKind::kSignal: break;
            case TriggerKind::kLoad: {
                w->path = target.proc_root + "/loadavg";
                w->fd = open_ro(w->path);
                const int err = errno;
                auto l = parse_loadavg(tw->read_fd(w->fd));
                if (!l) return bad(spec, "cannot read " + w->path + ": " + (w->fd < 0 ? std::strerror(err) : l.error().message));
                break;
            }
            case TriggerKind::kPsi: {
                w->path = target.proc_root + "/pressure/" + psi_resource_name(spec.resource);
                w->fd = open_ro(w->path);
                const std::string_view text = tw->read_fd(w->fd);
                if (w->fd < 0 || !parse_pressure(text))
                    return bad(spec, "cannot read " + w->path + (w->fd < 0 ? std::string(": ") + std::strerror(errno) : "") +
                                         ": this kernel gives no pressure stall information (it needs CONFIG_PSI, "
                                         "and psi=1 on its command line where CONFIG_PSI_DEFAULT_DISABLED)");
                if (spec.full && !has_full_line(text)) return bad(spec, w->path + " has no 'full' line");
                w->window = RateWindow(target.psi_window_us * 1000);
                w->hold_ns = target.psi_window_us * 1500;
                w->read_every_ns = target.psi_window_us * 50;
                if (target.psi_kernel_triggers) {
                    w->trigger_fd = open_psi_trigger(w->path, spec.full, spec.threshold, target.psi_window_us);
                    const int err = errno;
                    std::string why = std::strerror(err);
                    if (err == EINVAL && target.psi_window_us % 2'000'000 != 0)
                        why += "; a window that is not a multiple of 2 s needs CAP_SYS_RESOURCE";
                    if (w->trigger_fd < 0 && note)
                        note("trigger '" + spec.text + "': PSI poll triggers unavailable (" + why + "): polling " +
                             w->path + " instead");
                }
                if (w->trigger_fd >= 0) tw->psi_fds_.push_back({w->trigger_fd, POLLPRI, 0});
                break;
            }
            case TriggerKind::kCpuShare: {
                w->path = target.proc_root + "/" + std::to_string(spec.pid) + "/stat";
                w->fd = open_ro(w->path);
                if (w->fd < 0 || !parse_pid_stat(tw->read_fd(w->fd)))
                    return bad(spec, "no process " + std::to_string(spec.pid) + " (cannot read " + w->path + ")");
                const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
                if (cpus > 0 && spec.threshold > 100.0 * static_cast<double>(cpus))
                    return bad(spec, "can never fire: " + std::to_string(cpus) + " CPUs make at most " +
                                         std::to_string(cpus * 100) + "%");
                break;
            }
            case TriggerKind::kEvent: {
                if (!target.system_wide && target.tasks.empty()) return bad(spec, "no task to count the event in");
                auto ev = pmu::resolve_event(spec.event);
                if (!ev) return bad(spec, ev.error().message);
                if (!ev->note.empty() && note) note("trigger '" + spec.text + "': " + ev->note);
                const std::vector<int> cpus = target.cpus.empty() ? online_cpus() : target.cpus;
                auto c = EventCounter::open(*ev, target.system_wide, target.tasks, cpus, tw->probes_);
                if (!c) return bad(spec, c.error().message);
                w->counter = std::move(*c);
                break;
            }
        }
        tw->watched_.push_back(std::move(w));
    }
    return tw;
}

void TriggerWatch::add_poll_fds(std::vector<pollfd>& fds) const {
    for (const pollfd& p : psi_fds_) fds.push_back({p.fd, POLLPRI, 0});
}

// Notes PSI notifications: from the caller's poll, then from a zero-timeout poll of our own
// (for a caller that checks on its timer alone). A trigger fd in error falls back to polling.
void TriggerWatch::poll_psi(std::span<const pollfd> polled, uint64_t now_ns) {
    if (psi_fds_.empty()) return;
    auto handle = [&](int fd, short revents) {
        if (revents == 0) return;
        for (auto& w : watched_) {
            if (w->trigger_fd != fd || fd < 0) continue;
            if (revents & (POLLERR | POLLNVAL)) {
                ::close(w->trigger_fd);
                w->trigger_fd = -1;
                std::erase_if(psi_fds_, [fd](const pollfd& p) { return p.fd == fd; });
                if (note_) note_("trigger '" + w->spec.text + "': the PSI poll trigger failed: polling " + w->path + " instead");
            } else if (revents & POLLPRI) {
                w->last_event_ns = now_ns;
            }
        }
    };
    for (const pollfd& p : polled) handle(p.fd, p.revents);
    for (pollfd& p : psi_fds_) p.revents = 0;
    if (::poll(psi_fds_.data(), psi_fds_.size(), 0) <= 0) return;
    for (size_t i = psi_fds_.size(); i-- > 0;) handle(psi_fds_[i].fd, psi_fds_[i].revents);
}

// The stall share (%) of the last window from total=, nullopt without two samples yet; full:
// whether the samples reach a whole window back.
std::optional<double> TriggerWatch::psi_share(Watched& w, uint64_t now_ns, bool& full, double& avg10) {
    auto p = parse_pressure(read_fd(w.fd));
    if (!p) return std::nullopt;
    const format::PressureLine& line = w.spec.full ? p->full : p->some;
    avg10 = line.avg10_centi / 100.0;
    const auto g = w.window.add(now_ns, line.total_us);
    if (!g) return std::nullopt;
    full = g->full;
    // Stall microseconds per nanosecond of wall time, as a percentage. The kernel's stall clock
    // and the caller's timestamps differ by the reads' latency: a full stall can come out a
    // hair above 100%, which it cannot be.
    return std::min(100.0, static_cast<double>(g->delta) * 1e5 / static_cast<double>(g->span_ns));
}

// Read every twentieth of a window (50 ms), not every check: a second's share moves slowly, and
// each read disturbs other processes' unprivileged PSI triggers (see psi_notified()).
std::optional<double> TriggerWatch::psi_polled(Watched& w, uint64_t now_ns) {
    if (now_ns < w.next_read_ns) return w.polled_value;
    w.next_read_ns = now_ns + w.read_every_ns;
    bool full = false;
    double avg10 = 0;
    const auto share = psi_share(w, now_ns, full, avg10);
    w.polled_value = share && full && *share >= w.spec.threshold ? share : std::nullopt;
    return w.polled_value;
}

// A kernel trigger holds for a while after each notification. Its value, the share read at the
// first check after the notification, is kept for the rest of the hold, and between
// notifications total= is read once a second only: a read of the pressure file brings the
// kernel's averages up to date, and a kernel that runs unprivileged triggers (2 s windows) from
// its averaging work skips the triggers' update when a reader came first; read every check,
// such a trigger fires seldom or never.
std::optional<double> TriggerWatch::psi_notified(Watched& w, uint64_t now_ns) {
    const bool held = w.last_event_ns != 0 && now_ns - w.last_event_ns <= w.hold_ns;
    if (held && w.value_event_ns == w.last_event_ns) return w.held_value;
    if (!held && now_ns < w.next_read_ns) return std::nullopt;
    w.next_read_ns = now_ns + kWindowNs;
    bool full = false;
    double avg10 = 0;
    const auto share = psi_share(w, now_ns, full, avg10);
    if (!held) return std::nullopt;
    // The kernel only says the threshold was crossed; the share read now says how far.
    w.value_event_ns = w.last_event_ns;
    w.held_value = share ? *share : avg10;
    return w.held_value;
}

std::optional<double> TriggerWatch::value_if_holds(Watched& w, uint64_t now_ns) {
    const TriggerSpec& s = w.spec;
    switch (s.kind) {
        case TriggerKind::kSignal: return std::nullopt;
        case TriggerKind::kLoad: {
            auto l = parse_loadavg(read_fd(w.fd));
            if (l && l->running >= s.threshold) return static_cast<double>(l->running);
            return std::nullopt;
        }
        case TriggerKind::kPsi: return w.trigger_fd >= 0 ? psi_notified(w, now_ns) : psi_polled(w, now_ns);
        case TriggerKind::kCpuShare: {
            if (w.gone) return std::nullopt;
            auto st = parse_pid_stat(read_fd(w.fd));
            if (!st) {
                // Reads of a /proc/PID file kept open fail once the process is gone (ESRCH),
                // and a new process with the same pid is never read through it.
                w.gone = true;
                ::close(w.fd);
                w.fd = -1;
                if (note_) note_("trigger '" + s.text + "': process " + std::to_string(s.pid) + " is gone; it will not fire");
                return std::nullopt;
            }
            const auto g = w.window.add(now_ns, st->utime + st->stime);
            if (!g || !g->full) return std::nullopt;
            static const double ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
            const double pct = static_cast<double>(g->delta) / ticks_per_s * 1e11 / static_cast<double>(g->span_ns);
            if (pct >= s.threshold) return pct;
            return std::nullopt;
        }
        case TriggerKind::kEvent: {
            const uint64_t n = w.counter.count();
            if (static_cast<double>(n) >= s.threshold) return static_cast<double>(n);
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<TriggerHit> TriggerWatch::check(uint64_t now_ns, std::span<const pollfd> polled) {
    poll_psi(polled, now_ns);
    std::optional<TriggerHit> hit;
    // Every trigger is sampled, even after a hit: the windows need their history.
    for (size_t i = 0; i < watched_.size(); ++i) {
        const auto v = value_if_holds(*watched_[i], now_ns);
        if (v && !hit) hit = TriggerHit{i, watched_[i]->spec.text, *v};
    }
    return hit;
}

void TriggerWatch::rearm() {
    for (auto& w : watched_) {
        if (w->spec.kind == TriggerKind::kEvent) w->counter.restart();
        w->last_event_ns = w->value_event_ns = 0;
    }
    // Drop notifications that arrived before the rearm.
    if (!psi_fds_.empty()) (void)::poll(psi_fds_.data(), psi_fds_.size(), 0);
}

Result<LoadAverages> read_loadavg(const std::string& path) {
    const int fd = open_ro(path);
    if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
    char buf[256];
    const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    ::close(fd);
    auto l = parse_loadavg(n > 0 ? std::string_view(buf, static_cast<size_t>(n)) : std::string_view{});
    if (!l) return l.error();
    return LoadAverages{l->load1_milli / 1000.0, l->load5_milli / 1000.0, l->load15_milli / 1000.0,
                        static_cast<int>(l->running), static_cast<int>(l->threads)};
}

}  // namespace kiln::recorder
