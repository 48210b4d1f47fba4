#include "analyzer/profile/stack_timeline.h"

#include <algorithm>

namespace kiln::analyzer {

namespace {

// a + b, saturated: periods come from recordings, which may be hostile.
uint64_t plus(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

size_t common_prefix(std::span<const uint32_t> a, std::span<const uint32_t> b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}

// Interns named frames: equal name, file and line give one index.
class FrameTable {
public:
    explicit FrameTable(std::vector<TimelineFrame>& frames) : frames_(frames) {}
    uint32_t id(const TimelineFrame& f) {
        std::string key = f.name;
        key += '\0';
        key += f.file;
        key += '\0';
        key += std::to_string(f.line);
        auto [it, added] = ids_.emplace(std::move(key), static_cast<uint32_t>(frames_.size()));
        if (added) frames_.push_back(f);
        return it->second;
    }

private:
    std::vector<TimelineFrame>& frames_;
    std::unordered_map<std::string, uint32_t> ids_;
};

}  // namespace

uint32_t StackTimelineBuilder::raw_id(const RawFrame& f) {
    auto [it, added] = raw_ids_.emplace(f, static_cast<uint32_t>(raw_frames_.size()));
    if (added) raw_frames_.push_back(f);
    return it->second;
}

void StackTimelineBuilder::change(Thread& t, uint64_t at, uint32_t keep, std::span<const uint32_t> push) {
    t.changes.push_back({at, keep, static_cast<uint32_t>(t.pushed.size()), static_cast<uint32_t>(push.size())});
    t.pushed.insert(t.pushed.end(), push.begin(), push.end());
}

void StackTimelineBuilder::add(uint64_t time_ns, uint64_t interval_ns, const SampleLabels& labels,
                               std::span<const RawFrame> frames) {
    const Key key{labels.pid, labels.tid, labels.tid == 0 ? labels.cpu : -1};
    auto [it, added] = threads_.try_emplace(key);
    Thread& t = it->second;
    if (added) std::tie(t.pid, t.tid, t.cpu) = key;
    t.comm = labels.thread_comm.empty() ? labels.comm : labels.thread_comm;

    scratch_.clear();
    for (size_t i = frames.size(); i-- > 0;) scratch_.push_back(raw_id(frames[i]));
    if (t.open) {
        time_ns = std::max(time_ns, t.last_time);  // the stream is in time order; never go back
        // Further than 1.5 intervals: the thread did not run on in between; its stack ends
        // one interval after its sample.
        if (!t.stack.empty() && time_ns - t.last_time > plus(t.interval, t.interval / 2)) {
            change(t, plus(t.last_time, t.interval), 0, {});
            t.stack.clear();
        }
    }
    const size_t keep = common_prefix(t.stack, scratch_);
    if (keep != t.stack.size() || keep != scratch_.size())
        change(t, time_ns, static_cast<uint32_t>(keep), std::span<const uint32_t>(scratch_).subspan(keep));
    t.stack.swap(scratch_);
    t.last_time = time_ns;
    t.interval = interval_ns;
    t.open = true;
}

StackTimelines StackTimelineBuilder::finish(uint64_t start_ns, uint64_t end_ns, const FrameNamer& namer) {
    StackTimelines out;
    out.end_ns = end_ns > start_ns ? end_ns - start_ns : 0;
    auto relative = [&](uint64_t t) { return t <= start_ns ? 0 : std::min(t - start_ns, out.end_ns); };

    FrameTable table(out.frames);
    std::vector<std::vector<uint32_t>> names(raw_frames_.size());  // per raw frame, outermost first
    std::vector<bool> named(raw_frames_.size(), false);
    auto names_of = [&](uint32_t raw) -> const std::vector<uint32_t>& {
        if (!named[raw]) {
            for (const TimelineFrame& f : namer(raw_frames_[raw])) names[raw].push_back(table.id(f));
            if (names[raw].empty()) names[raw].push_back(table.id({"[unknown]", "", 0}));
            named[raw] = true;
        }
        return names[raw];
    };

    std::vector<uint32_t> cur, next;  // named stacks, root first
    std::vector<size_t> depth;        // named frames up to and including each raw frame
    for (auto& [key, t] : threads_) {
        if (!t.stack.empty()) change(t, plus(t.last_time, t.interval), 0, {});
        ThreadTimeline& th = out.threads.emplace_back();
        th.pid = t.pid;
        th.tid = t.tid;
        th.cpu = t.cpu;
        th.name = (t.comm.empty() ? std::string("[unknown]") : t.comm) + " (" + std::to_string(t.pid) + "/" +
                  std::to_string(t.tid) + (t.cpu >= 0 ? ", cpu " + std::to_string(t.cpu) : std::string()) + ")";
        cur.clear();
        depth.clear();
        uint64_t last_at = 0;
        for (const Change& c : t.changes) {
            const uint64_t at = std::max(relative(c.at), last_at);  // never back, whatever the input
            depth.resize(c.keep);
            next.assign(cur.begin(), cur.begin() + static_cast<std::ptrdiff_t>(c.keep ? depth.back() : 0));
            for (uint32_t i = 0; i < c.count; ++i) {
                const auto& n = names_of(t.pushed[c.first + i]);
                next.insert(next.end(), n.begin(), n.end());
                depth.push_back(next.size());
            }
            const size_t common = common_prefix(cur, next);
            if (common == cur.size() && common == next.size()) continue;
            if (!cur.empty()) th.busy_ns += at - last_at;
            for (size_t i = cur.size(); i-- > common;) th.events.push_back({at, cur[i], false});
            for (size_t i = common; i < next.size(); ++i) th.events.push_back({at, next[i], true});
            cur.swap(next);
            last_at = at;
        }
        t.changes = {};
        t.pushed = {};
    }
    threads_.clear();
    raw_ids_.clear();
    raw_frames_.clear();
    return out;
}

}  // namespace kiln::analyzer
