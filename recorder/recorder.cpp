#include "recorder/recorder.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "formats/chunk_writer.h"
#include "formats/recording_header.h"
#include "recorder/fd_guard.h"
#include "recorder/output_file.h"
#include "recorder/output_switcher.h"
#include "recorder/recording_session.h"
#include "recorder/signal_catcher.h"
#include "recorder/targets.h"

namespace kiln::recorder {

Result<RecordSummary> record(const RecordOptions& opt, const std::function<void(const std::string&)>& note) {
    auto session = RecordingSession::open(opt, note);
    if (!session) return session.error();
    auto& rec = **session;

    // One file, or with --switch-output a series of them (output_switcher.h).
    std::optional<OutputSwitcher> switcher;
    int out_fd = -1;
    if (opt.switches_output()) {
        switcher.emplace(opt, note);
    } else {
        auto fd = create_output_file(opt.output);
        if (!fd) return fd.error();
        out_fd = *fd;
    }
    FdGuard out_guard{out_fd};

    SignalCatcher signals;
    format::ChunkWriter writer(out_fd, opt.output, opt.zstd_level);
    FileChunkSink file_sink(writer);
    ChunkSink& sink = switcher ? switcher->sink() : static_cast<ChunkSink&>(file_sink);
    // On every way out, the session stops storing before the writer and the file go.
    struct StopFirst {
        RecordingSession& rec;
        ~StopFirst() {
            rec.stop(0);
            (void)rec.finish();
        }
    } stop_first{rec};
    using clock = std::chrono::steady_clock;
    clock::time_point started;  // -d counts from the moment the events are enabled
    auto write_header = [&](const format::RecordingHeader& h) -> Status {
        started = clock::now();
        if (switcher) return switcher->write_header(h);
        KILN_TRY(writer.write_preamble());
        return writer.write_chunk(format::ChunkType::kHeader, format::encode(h));
    };
    if (auto s = rec.start(sink, write_header); !s) return s.error();
    const Target& target = rec.target();
    DrainLoop& drain = rec.drain();
    if (switcher) switcher->attach(drain);
    std::vector<pollfd> pfds;
    pfds.push_back({signals.fd(), POLLIN, 0});
    for (auto& r : rec.rings()) pfds.push_back({r.fd(), POLLIN, 0});

    const bool timed = opt.duration_s > 0;
    const clock::time_point deadline =
        timed ? started + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.duration_s))
              : clock::time_point::max();
    auto last_watch = started;
    format::StopReason reason = format::StopReason::kUnknown;
    int forward_signal = 0;

    // Besides the kernel (a ring half full) and signals (SIGCHLD included), the loop wakes itself
    // once a second to drain the rings and when the buffered records are due to be written
    // (flush_if_due), so what was recorded reaches the file within about a second; four times a
    // second only when it must watch target processes. Each wakeup costs ~50 us of CPU on a VM,
    // and at 999 Hz most of them had been a fixed 250 ms timeout's.
    const int idle_timeout_ms = target.watch_pids.empty() ? 1000 : 250;
    auto ms_until = [](clock::time_point t) {
        if (t == clock::time_point::max()) return std::numeric_limits<long long>::max();
        return static_cast<long long>(std::chrono::ceil<std::chrono::milliseconds>(t - clock::now()).count());
    };
    while (reason == format::StopReason::kUnknown) {
        long long wait_ms = std::min<long long>(idle_timeout_ms, ms_until(drain.flush_due()));
        if (switcher && switcher->due_ns() != std::numeric_limits<uint64_t>::max())
            wait_ms = std::min<long long>(wait_ms, static_cast<long long>((switcher->due_ns() - std::min(switcher->due_ns(), monotonic_ns()) + 999'999) / 1'000'000));
        if (timed) wait_ms = std::min(wait_ms, ms_until(deadline));
        const int timeout_ms = static_cast<int>(std::max<long long>(wait_ms, 0));
        int n = ::poll(pfds.data(), pfds.size(), timeout_ms);
        if (n < 0 && errno != EINTR) return make_error(std::string("poll failed: ") + std::strerror(errno));
        // A ring whose tasks all exited reports POLLHUP forever; stop polling it (its data is
        // still drained below).
        for (size_t i = 1; i < pfds.size(); ++i)
            if (pfds[i].revents & (POLLHUP | POLLERR)) pfds[i].fd = -1;
        if (pfds[0].revents & POLLIN) {
            signalfd_siginfo si{};
            while (::read(signals.fd(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                if (si.ssi_signo == SIGCHLD) continue;
                reason = format::StopReason::kSignal;
                forward_signal = static_cast<int>(si.ssi_signo);
            }
        }
        if (rec.reap_child() && reason == format::StopReason::kUnknown) reason = format::StopReason::kCommandExited;
        drain.drain_all();
        const auto now = clock::now();
        drain.flush_if_due(now);
        if (switcher)
            if (auto s = switcher->switch_if_due(rec, monotonic_ns()); !s) return s.error();
        if (timed && now >= deadline && reason == format::StopReason::kUnknown) reason = format::StopReason::kDuration;
        if (!target.watch_pids.empty() && now - last_watch >= std::chrono::milliseconds(250)) {
            last_watch = now;
            if (std::none_of(target.watch_pids.begin(), target.watch_pids.end(), process_alive))
                reason = format::StopReason::kTargetsGone;
        }
    }

    rec.stop(forward_signal);
    const uint64_t build_id_failures = rec.submit_end_sideband();
    if (opt.archive) rec.submit_archive();
    format::RecordingStats stats = rec.stats();
    stats.build_id_failures = build_id_failures;
    stats.stop_reason = static_cast<uint32_t>(reason);
    if (switcher) {
        rec.pipeline().wait_idle();
        switcher->finish_stats(stats);
    }
    rec.pipeline().submit_sideband(format::ChunkType::kStats, format::encode(stats));
    if (auto s = rec.finish(); !s) return s.error();
    if (!switcher && ::fsync(out_fd) != 0 && errno != EINVAL)
        return make_error("cannot sync " + opt.output + ": " + std::strerror(errno));

    RecordSummary summary;
    summary.stats = stats;
    summary.file_bytes = switcher ? switcher->bytes() : writer.bytes_written();
    summary.uncompressed_bytes = switcher ? 0 : writer.raw_bytes_written();
    summary.path = switcher ? switcher->path() : opt.output;
    summary.files = switcher ? switcher->files() : 1;
    summary.switched = switcher.has_value();
    return summary;
}

std::string summary_line(const RecordSummary& s) {
    char buf[512];
    if (s.switched) {
        std::snprintf(buf, sizeof buf, "kiln record: %u files; the last, %s: %llu samples, %llu lost, %.2f MB", s.files,
                      s.path.c_str(), static_cast<unsigned long long>(s.stats.samples),
                      static_cast<unsigned long long>(s.stats.lost_records + s.stats.lost_samples),
                      static_cast<double>(s.file_bytes) / 1e6);
        return buf;
    }
    const double mb = static_cast<double>(s.file_bytes) / 1e6;
    const double ratio = s.file_bytes ? static_cast<double>(s.uncompressed_bytes) / static_cast<double>(s.file_bytes) : 0;
    std::snprintf(buf, sizeof buf, "kiln record: %llu samples, %llu lost, %.2f MB written to %s (%.1fx compression)",
                  static_cast<unsigned long long>(s.stats.samples),
                  static_cast<unsigned long long>(s.stats.lost_records + s.stats.lost_samples), mb,
                  s.path.c_str(), ratio);
    std::string line = buf;
    if (s.stats.throttles > 0) line += ", throttled " + std::to_string(s.stats.throttles) + " times";
    return line;
}

}  // namespace kiln::recorder
