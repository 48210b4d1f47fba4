// CounterThread through a real ChunkPipeline into a file, read back with RecordingReader.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <functional>
#include <thread>

#include "formats/recording_header.h"
#include "formats/recording_reader.h"
#include "recorder/counter_thread.h"
#include "tests/temp_dir.h"

using namespace kiln;

namespace {

// Runs a CounterThread from start to stop (after `between`) and returns its snapshots.
std::vector<format::CounterSnapshot> record_counters(const recorder::CounterSettings& settings,
                                                     const std::function<void()>& between, size_t* chunks) {
    test::TempDir tmp;
    const std::string path = tmp.path("c.kiln");
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    {
        format::ChunkWriter writer(fd, path, 1);
        EXPECT_TRUE(writer.write_preamble().ok());
        format::RecordingHeader h;
        h.clock_id = CLOCK_MONOTONIC;
        EXPECT_TRUE(writer.write_chunk(format::ChunkType::kHeader, format::encode(h)).ok());
        recorder::FileChunkSink sink(writer);
        recorder::ChunkPipeline pipeline(sink, 1 << 16, 2);
        pipeline.start();
        recorder::CounterThread counters(pipeline, settings);
        counters.start();
        between();
        counters.stop();
        EXPECT_TRUE(pipeline.finish().ok());
    }
    ::close(fd);
    std::vector<format::CounterSnapshot> out;
    *chunks = 0;
    auto r = format::RecordingReader::open(path);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return out;
    for (;;) {
        auto c = (*r)->next();
        if (!c.ok() || !c->has_value()) break;
        EXPECT_EQ((*c)->type, format::ChunkType::kCounters);
        auto chunk = format::decode_counter_chunk((*c)->data);
        EXPECT_TRUE(chunk.ok());
        if (!chunk.ok()) continue;
        ++*chunks;
        EXPECT_EQ(chunk->interval_ns, settings.interval_ns);
        for (auto& s : chunk->snapshots) out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

TEST(CounterThread, StopsPromptlyWithALastSnapshot) {
    recorder::CounterSettings s;
    s.interval_ns = 3600'000'000'000ull;  // an hour: only the first and the last snapshot
    s.pids = {getpid()};
    size_t chunks = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto snaps = record_counters(s, [] {}, &chunks);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(took, 30.0) << "stop() must not wait for the next tick";
    ASSERT_EQ(snaps.size(), 2u);
    EXPECT_EQ(chunks, 1u);
    EXPECT_LE(snaps[0].time_ns, snaps[1].time_ns);
    for (const auto& snap : snaps) {
        EXPECT_TRUE(snap.has_processes);
        ASSERT_EQ(snap.processes.size(), 1u);
        EXPECT_EQ(snap.processes[0].pid, getpid());
    }
}

TEST(CounterThread, AllProcessesOnlyEveryProcInterval) {
    recorder::CounterSettings s;
    s.interval_ns = 1'000'000;  // 1 ms
    s.proc_interval_ns = 3600'000'000'000ull;
    s.all_processes = true;
    size_t chunks = 0;
    // Until a few ticks have passed: stopping waits for nothing but the thread's current read.
    auto snaps = record_counters(
        s, [] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }, &chunks);
    ASSERT_GE(snaps.size(), 3u);
    EXPECT_TRUE(snaps.front().has_processes);   // the first tick
    EXPECT_TRUE(snaps.back().has_processes);    // the last snapshot at stop
    for (size_t i = 1; i + 1 < snaps.size(); ++i) {
        EXPECT_FALSE(snaps[i].has_processes) << i;
        EXPECT_TRUE(snaps[i].processes.empty());
        EXPECT_GT(snaps[i].time_ns, snaps[i - 1].time_ns);
    }
    EXPECT_GT(snaps.front().processes.size(), 1u);
}

// A tracked process that exits is dropped; the snapshots after it still say the tracked
// set was read (empty), to the last one at stop.
TEST(CounterThread, SnapshotsAfterTheTrackedProcessExitedStillReadTheSet) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    recorder::CounterSettings s;
    s.interval_ns = 5'000'000;  // 5 ms
    s.pids = {child};
    size_t chunks = 0;
    auto snaps = record_counters(
        s,
        [&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            ::kill(child, SIGKILL);
            int st = 0;
            ::waitpid(child, &st, 0);  // reaped: /proc/PID is gone
            std::this_thread::sleep_for(std::chrono::milliseconds(60));
        },
        &chunks);
    ASSERT_GE(snaps.size(), 3u);
    EXPECT_EQ(snaps.front().processes.size(), 1u);
    EXPECT_TRUE(snaps.back().processes.empty());
    for (const auto& snap : snaps) EXPECT_TRUE(snap.has_processes);
}
