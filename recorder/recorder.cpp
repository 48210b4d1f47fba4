#include "recorder/recorder.h"

#include <poll.h>
#include <sys/stat.h>
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

namespace {

// After an output failure: the events are disabled and nothing more is stored, but a command
// kiln started is not killed for it (a profiler's full disk should not end the work it
// watched): it runs on, unrecorded, with kiln waiting as its parent and still forwarding
// SIGINT/SIGTERM/SIGHUP, so it is neither orphaned nor left stopped.
void stop_after_output_failure(RecordingSession& rec, SignalCatcher& signals, const Status& failure,
                               const std::function<void(const std::string&)>& note) {
    rec.halt();
    if (rec.reap_child() || rec.child() <= 0) return;
    note(failure.error().message + "; recording stopped. The command (pid " + std::to_string(rec.child()) +
         ") runs on unrecorded; kiln exits when it ends (Ctrl-C ends both)");
    pollfd pfd{signals.fd(), POLLIN, 0};
    while (!rec.reap_child()) {
        pfd.revents = 0;
        if (::poll(&pfd, 1, 1000) < 0 && errno != EINTR) break;
        signalfd_siginfo si{};
        while (::read(signals.fd(), &si, sizeof si) == static_cast<ssize_t>(sizeof si))
            if (si.ssi_signo != SIGCHLD && rec.child() > 0) ::kill(rec.child(), static_cast<int>(si.ssi_signo));
    }
}

// The error of a failed output, with what is left of the recording and what to do.
std::string output_failure_message(const Status& failure, const RecordOptions& opt, int out_fd,
                                   const format::ChunkWriter& writer, bool switched) {
    std::string msg = failure.error().message + "; recording stopped";
    if (switched)
        return msg + " (the files --switch-output finished before are complete recordings; a file it could not "
                     "start is removed, the one it was writing ends with its last whole chunk; kiln info and kiln "
                     "analyze read them)";
    struct stat st{};
    const bool file = ::fstat(out_fd, &st) == 0 && S_ISREG(st.st_mode);
    const int e = writer.failed_errno();
    if (e == EPIPE) return msg + " (the program reading kiln's output exited before the recording ended)";
    if (!file || st.st_nlink == 0) return msg;
    char size[64];
    std::snprintf(size, sizeof size, "%.2f MB", static_cast<double>(writer.bytes_written()) / 1e6);
    msg += ". " + opt.output + " keeps what was recorded up to its last whole chunk (" + size +
           ", without the end sideband and stats); kiln info and kiln analyze read it";
    if (e == ENOSPC || e == EDQUOT) msg += ". Free space there or record to another file system with -o";
    return msg;
}

}  // namespace

Result<RecordSummary> record(const RecordOptions& opt, const std::function<void(const std::string&)>& note) {
    auto session = RecordingSession::open(opt, note);
    if (!session) return session.error();
    auto& rec = **session;

    // Before the output is opened: a pipe closed early gives EPIPE, not a SIGPIPE death.
    SignalCatcher signals;

    // One file (or standard output), or with --switch-output a series of files
    // (output_switcher.h). Whatever cannot be created or written at all fails here, before the
    // command is started.
    std::optional<OutputSwitcher> switcher;
    int out_fd = -1;
    if (opt.switches_output()) {
        if (opt.output == "-") return make_error("--switch-output writes files: give -o a file name, not -");
        KILN_TRY(check_directory_writable(opt.output));
        switcher.emplace(opt, note);
    } else {
        auto fd = opt.output == "-" ? standard_output() : create_output_file(opt.output);
        if (!fd) return fd.error();
        out_fd = *fd;
    }
    FdGuard out_guard{out_fd};

    const std::string out_name = output_name(opt.output);
    format::ChunkWriter writer(out_fd, out_name, opt.zstd_level, opt.small_chunk_level());
    if (!switcher)
        if (auto s = writer.write_preamble(); !s) {
            if (opt.output != "-") ::unlink(opt.output.c_str());  // empty: not a recording
            return s.error();
        }
    FileChunkSink file_sink(writer, out_fd, out_name);
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
    // The first output failure (a full disk, a closed pipe, the file removed, the next file of
    // --switch-output not created) ends the recording: see stop_after_output_failure().
    Status output_error;
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
        if (switcher) output_error = switcher->switch_if_due(rec, monotonic_ns());
        if (output_error.ok()) output_error = rec.pipeline().store_status();
        if (!output_error.ok()) break;
        if (timed && now >= deadline && reason == format::StopReason::kUnknown) reason = format::StopReason::kDuration;
        if (!target.watch_pids.empty() && now - last_watch >= std::chrono::milliseconds(250)) {
            last_watch = now;
            if (std::none_of(target.watch_pids.begin(), target.watch_pids.end(), process_alive))
                reason = format::StopReason::kTargetsGone;
        }
    }

    if (!output_error.ok()) {
        stop_after_output_failure(rec, signals, output_error, note);
        (void)rec.finish();
        return make_error(output_failure_message(output_error, opt, out_fd, writer, switcher.has_value()));
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
    if (auto s = rec.finish(); !s)
        return make_error(output_failure_message(s, opt, out_fd, writer, switcher.has_value()));
    if (!switcher && ::fsync(out_fd) != 0 && errno != EINVAL)
        return make_error("cannot sync " + out_name + ": " + std::strerror(errno));

    RecordSummary summary;
    summary.stats = stats;
    summary.file_bytes = switcher ? switcher->bytes() : writer.bytes_written();
    summary.uncompressed_bytes = switcher ? 0 : writer.raw_bytes_written();
    summary.path = switcher ? switcher->path() : out_name;
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
