#include "recorder/output_switcher.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <limits>

#include "recorder/output_file.h"

namespace kiln::recorder {

namespace {

uint64_t realtime_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

OutputSwitcher::OutputSwitcher(const RecordOptions& opt, Note note)
    : opt_(opt), note_(std::move(note)), sink_(opt.zstd_level, opt.small_chunk_level()) {
    // kiln.data -> kiln-20261206-211258.data; run.kiln -> run-20261206-211258.kiln
    const std::string& out = opt.output;
    const size_t slash = out.rfind('/');
    const size_t dot = out.rfind('.');
    const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
    prefix_ = has_ext ? out.substr(0, dot) : out;
    ext_ = has_ext ? out.substr(dot) : "";
}

std::string OutputSwitcher::next_path() const { return timestamped_path(prefix_, ext_, realtime_now_ns()); }

Status OutputSwitcher::write_header(const format::RecordingHeader& header) {
    KILN_TRY(sink_.open_first(next_path(), header));
    files_ = 1;
    due_ns_ = opt_.switch_output_ns > 0 ? header.start_time_ns + opt_.switch_output_ns : std::numeric_limits<uint64_t>::max();
    return {};
}

void OutputSwitcher::attach(DrainLoop& drain) {
    drain.tap_sideband([this](const perf_event_header& h, const uint8_t* rec, uint64_t sequence) {
        essentials_.add(h, rec, sequence);
    });
}

Status OutputSwitcher::switch_if_due(RecordingSession& rec, uint64_t now_ns) {
    const bool by_time = now_ns >= due_ns_;
    const bool by_size = opt_.switch_output_bytes > 0 && sink_.bytes() >= opt_.switch_output_bytes;
    if (!by_time && !by_size) return {};
    DrainLoop& drain = rec.drain();
    drain.drain_all();
    drain.flush();
    rec.pipeline().wait_idle();

    // Everything drained so far is in the file that ends: the next one needs what is still
    // running (the records of processes that exited are forgotten).
    const uint64_t next_sequence = drain.next_sequence();
    drain.forget_processes(essentials_.prune(next_sequence));
    format::RecordingHeader header = rec.header();
    header.start_realtime_ns += now_ns - header.start_time_ns;
    header.start_time_ns = now_ns;
    format::RecordingStats stats = rec.stats();
    stats.stop_reason = static_cast<uint32_t>(format::StopReason::kSwitchedOutput);
    stats.exit_status = -1;
    auto done = sink_.switch_to(next_path(), header, rec.end_sideband(), stats,
                                essentials_.payloads_before(next_sequence, 2 << 20));
    if (!done) return done.error();
    ++files_;
    if (opt_.switch_output_ns > 0)
        while (due_ns_ <= now_ns) due_ns_ += opt_.switch_output_ns;
    if (!opt_.quiet) {
        char line[512];
        std::snprintf(line, sizeof line, "wrote %s (%llu samples, %.2f MB); now writing %s", done->path.c_str(),
                      static_cast<unsigned long long>(done->samples), static_cast<double>(done->bytes) / 1e6,
                      sink_.path().c_str());
        note_(line);
    }
    finished_.push_back(done->path);
    // --max-files counts the file being written.
    while (opt_.max_files > 0 && finished_.size() + 1 > opt_.max_files) {
        if (::unlink(finished_.front().c_str()) != 0) note_("cannot remove " + finished_.front());
        finished_.pop_front();
    }
    return {};
}

void OutputSwitcher::finish_stats(format::RecordingStats& stats) const {
    stats.samples = sink_.samples();
    stats.lost_records = sink_.lost();
}

}  // namespace kiln::recorder
