// The counter sampler: a thread that reads /proc every --counter-interval on an absolute
// CLOCK_MONOTONIC schedule (a tick that is missed is skipped, never bunched up) and hands a
// COUNTERS chunk to the pipeline about once a second, and one last snapshot at stop.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "formats/counters.h"
#include "recorder/chunk_pipeline.h"
#include "recorder/counter_reader.h"

namespace kiln::recorder {

struct CounterSettings {
    uint64_t interval_ns = 100'000'000;        // machine counters (and target processes)
    uint64_t proc_interval_ns = 1'000'000'000;  // every process, with all_processes
    bool all_processes = false;                 // -a
    std::vector<int> pids;                      // the target processes otherwise
};

class CounterThread {
public:
    CounterThread(ChunkPipeline& pipeline, CounterSettings settings);
    ~CounterThread();  // stops
    CounterThread(const CounterThread&) = delete;
    CounterThread& operator=(const CounterThread&) = delete;

    void start();
    // A process to follow from now on (a child of a target), from another thread.
    void add_process(int pid);
    // Takes a last snapshot, submits what is pending and joins; idempotent.
    void stop();

private:
    void run();
    void snapshot(uint64_t now_ns, bool with_all_processes);
    void submit();

    ChunkPipeline& pipeline_;
    CounterSettings settings_;
    CounterReader reader_;
    format::CounterChunk chunk_;
    uint64_t chunk_started_ns_ = 0;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<int> added_pids_;  // from add_process(), under mu_
    std::thread thread_;
};

}  // namespace kiln::recorder
