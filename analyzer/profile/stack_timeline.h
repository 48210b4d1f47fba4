// Per-thread timelines of stacks, for timeline viewers (speedscope's evented profiles): each
// kept sample of a sample-based view stands for its stack from the sample's time until the
// thread's next sample, if that comes within 1.5 sampling intervals, else for one interval.
//
// While the recording streams, StackTimelineBuilder keeps only each thread's current stack
// (raw frames) and appends a compact change per sample whose stack differs from the one before
// ("keep the first K frames, push these"): memory is the size of the output, not of the
// samples. finish() names every distinct raw frame once (the names the folded and pprof
// outputs show, inlined functions as frames of their own), and turns each thread's changes
// into open/close events on named frames, re-diffed so that two addresses in one function are
// one frame: events nest, close innermost first, and their times never decrease.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "analyzer/profile/profile_builder.h"  // SampleLabels
#include "analyzer/profile/sample_sink.h"
#include "analyzer/unwind/raw_frame.h"

namespace kiln::analyzer {

// A named frame as timeline viewers show it.
struct TimelineFrame {
    std::string name;  // as folded output names it: "main", "do_syscall_64_[k]", "mix_step_[i]"
    std::string file;  // source file of the function, "" when unknown
    int64_t line = 0;  // first line of the function, 0 when unknown
    bool operator==(const TimelineFrame&) const = default;
};

struct TimelineEvent {
    uint64_t at = 0;     // ns from the recording's start
    uint32_t frame = 0;  // index into StackTimelines::frames
    bool open = false;   // true: the frame starts (speedscope "O"), false: it ends ("C")
};

struct ThreadTimeline {
    int32_t pid = 0, tid = 0;
    int32_t cpu = -1;                   // idle tasks (tid 0) get a timeline per CPU; -1 for the others
    std::string name;                   // "comm (pid/tid)", the thread's name at its last sample
    uint64_t busy_ns = 0;               // the time some stack was open
    std::vector<TimelineEvent> events;  // in time order, properly nested, all closed at the end
};

struct StackTimelines {
    std::vector<TimelineFrame> frames;    // distinct (name, file, line)
    std::vector<ThreadTimeline> threads;  // by pid, tid, cpu
    uint64_t end_ns = 0;                  // the recording's duration (ns): every event is within it
};

// One raw frame's named frames, outermost first (a frame with inlined calls gives several).
using FrameNamer = std::function<std::vector<TimelineFrame>(const RawFrame&)>;

class StackTimelineBuilder final : public SampleSink {
public:
    // A kept sample of thread (labels.pid, labels.tid) at time_ns (the samples' clock), standing
    // for interval_ns when no next sample follows soon; frames leaf first, as views unwind them.
    void add(uint64_t time_ns, uint64_t interval_ns, const SampleLabels& labels,
             std::span<const RawFrame> frames) override;
    size_t threads() const { return threads_.size(); }

    // start_ns, end_ns: the recording's start and end on the samples' clock; times become ns
    // since start_ns, clamped to [0, end_ns - start_ns]. The builder is empty afterwards.
    StackTimelines finish(uint64_t start_ns, uint64_t end_ns, const FrameNamer& namer);

private:
    struct Change {
        uint64_t at;     // samples' clock
        uint32_t keep;   // frames of the previous stack (root first) that stay
        uint32_t first;  // pushed frames: Thread::pushed[first, first + count), root first
        uint32_t count;
    };
    struct Thread {
        int32_t pid = 0, tid = 0, cpu = -1;
        std::string comm;
        std::vector<uint32_t> stack;  // raw frame ids, root first; empty when nothing is open
        uint64_t last_time = 0, interval = 0;
        bool open = false;  // a sample's slice may still run on
        std::vector<Change> changes;
        std::vector<uint32_t> pushed;
    };
    using Key = std::tuple<int32_t, int32_t, int32_t>;  // pid, tid, cpu

    uint32_t raw_id(const RawFrame& f);
    static void change(Thread& t, uint64_t at, uint32_t keep, std::span<const uint32_t> push);

    std::map<Key, Thread> threads_;
    std::unordered_map<RawFrame, uint32_t, RawFrameHash> raw_ids_;
    std::vector<RawFrame> raw_frames_;
    std::vector<uint32_t> scratch_;
};

}  // namespace kiln::analyzer
