#include "recorder/counter_thread.h"

#include <time.h>
#include <unistd.h>

#include <chrono>

namespace kiln::recorder {

namespace {
constexpr uint64_t kChunkSpanNs = 1'000'000'000;  // a COUNTERS chunk about once a second

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The first point of the schedule start + k*interval after now (missed ticks are skipped).
uint64_t next_tick(uint64_t scheduled, uint64_t interval, uint64_t now) {
    if (scheduled > now) return scheduled;
    return scheduled + ((now - scheduled) / interval + 1) * interval;
}
}  // namespace

CounterThread::CounterThread(ChunkPipeline& pipeline, CounterSettings settings)
    : pipeline_(pipeline), settings_(std::move(settings)) {
    const long hz = ::sysconf(_SC_CLK_TCK);
    chunk_.ticks_per_second = hz > 0 ? static_cast<uint32_t>(hz) : 100;
    chunk_.interval_ns = settings_.interval_ns;
}

CounterThread::~CounterThread() { stop(); }

void CounterThread::start() { thread_ = std::thread([this] { run(); }); }

void CounterThread::add_process(int pid) {
    std::lock_guard lock(mu_);
    added_pids_.push_back(pid);
}

void CounterThread::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void CounterThread::snapshot(uint64_t now_ns, bool with_all_processes) {
    if (chunk_.snapshots.empty()) chunk_started_ns_ = now_ns;
    format::CounterSnapshot& s = chunk_.snapshots.emplace_back();
    s.time_ns = now_ns;
    reader_.read_machine(s.machine);
    if (settings_.all_processes) {
        s.has_processes = with_all_processes;
        if (with_all_processes) reader_.read_all_processes(s.processes);
    } else {
        {
            std::lock_guard lock(mu_);
            settings_.pids.insert(settings_.pids.end(), added_pids_.begin(), added_pids_.end());
            added_pids_.clear();
        }
        // The tracked set is read at every snapshot, also once all of it has exited (read as
        // empty): the snapshots of a recording are then alike from the first to the last.
        s.has_processes = true;
        s.processes.reserve(settings_.pids.size());
        // A process that is gone is dropped from the list (its pid may be reused by another).
        std::erase_if(settings_.pids, [&](int pid) {
            format::ProcessCounters p;
            if (!reader_.read_process(pid, p)) return true;
            s.processes.push_back(p);
            return false;
        });
    }
}

void CounterThread::submit() {
    if (chunk_.snapshots.empty()) return;
    pipeline_.submit_sideband(format::ChunkType::kCounters, format::encode(chunk_));
    chunk_.snapshots.clear();
}

void CounterThread::run() {
    using clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC in libstdc++, the samples' clock
    const uint64_t interval = settings_.interval_ns;
    const uint64_t proc_interval = std::max<uint64_t>(settings_.proc_interval_ns, 1);
    uint64_t tick = monotonic_ns();
    uint64_t proc_tick = tick;
    std::unique_lock lock(mu_, std::defer_lock);
    for (;;) {  // a first snapshot even when stop() came before the thread ran
        const uint64_t now = monotonic_ns();
        const bool all = settings_.all_processes && now >= proc_tick;
        if (all) proc_tick = next_tick(proc_tick, proc_interval, now);
        snapshot(now, all);
        if (now - chunk_started_ns_ >= kChunkSpanNs) submit();
        tick = next_tick(tick, interval, monotonic_ns());
        // steady_clock and CLOCK_MONOTONIC share their origin: the deadline is absolute.
        const clock::time_point deadline{std::chrono::nanoseconds(tick)};
        lock.lock();
        if (cv_.wait_until(lock, deadline, [this] { return stopping_; })) break;
        lock.unlock();
    }
    lock.unlock();
    // The last snapshot, at the end of the recording (processes included with -a).
    snapshot(monotonic_ns(), settings_.all_processes);
    submit();
}

}  // namespace kiln::recorder
