// The view registry: one entry per view, each with what --help shows, found by its name and
// creating the view of that name; what a recording supports follows from what it recorded.
#include <gtest/gtest.h>
#include <linux/perf_event.h>

#include <cstring>
#include <set>
#include <string>

#include "analyzer/analyze.h"
#include "analyzer/views/view_registry.h"

using namespace kiln;
using namespace kiln::analyzer;

namespace {

format::EventDescription event(const std::string& name, uint32_t type, uint64_t config, bool is_clock) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = type;
    attr.config = config;
    attr.sample_period = 1;
    attr.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;
    format::EventDescription e;
    e.name = name;
    e.attr.assign(reinterpret_cast<uint8_t*>(&attr), reinterpret_cast<uint8_t*>(&attr) + sizeof attr);
    e.is_clock = is_clock;
    return e;
}

// cpu-clock, page-faults and a uprobe: what the cpu, faults and probes views need.
format::RecordingHeader header_for_cpu_faults_probes() {
    format::RecordingHeader h;
    h.target = format::TargetKind::kCommand;
    h.events.push_back(event("cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, true));
    h.events.push_back(event("page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, false));
    h.events.push_back(event("uprobe:/usr/bin/true:main", PERF_TYPE_MAX + 2, 0, false));
    return h;
}

}  // namespace

TEST(ViewRegistry, EveryViewHasANameUnitDescriptionAndFactory) {
    std::set<std::string> names;
    ASSERT_FALSE(view_registry().empty());
    for (const ViewInfo& v : view_registry()) {
        SCOPED_TRACE(std::string(v.name));
        EXPECT_FALSE(v.name.empty());
        EXPECT_TRUE(names.insert(std::string(v.name)).second) << "listed twice";
        EXPECT_FALSE(v.unit.empty());
        EXPECT_FALSE(v.description.empty());
        EXPECT_EQ(v.description.find('\n'), std::string_view::npos) << "one line";
        EXPECT_FALSE(how_to_record(v.needs).empty());
        EXPECT_NE(v.create, nullptr);
        EXPECT_EQ(find_view(v.name), &v);
        EXPECT_NE(view_name_list().find(std::string(v.name)), std::string::npos);
    }
    EXPECT_EQ(find_view("nosuchview"), nullptr);
    EXPECT_EQ(view_registry().front().name, "cpu") << "the default view of a recording with CPU samples";
}

TEST(ViewRegistry, AViewNeedsWhatItsEntrySays) {
    const format::RecordingHeader none;
    const EventTable no_events(none);
    EXPECT_TRUE(available_views(none).empty());
    EXPECT_EQ(default_view(none), "cpu");
    for (const ViewInfo& v : view_registry()) {
        SCOPED_TRACE(std::string(v.name));
        EXPECT_FALSE(has_recorded(v.needs, none, no_events));
        auto view = make_view(v.name, none, no_events, {});
        ASSERT_FALSE(view.ok());
        EXPECT_NE(view.error().message.find("the " + std::string(v.name) + " view needs"), std::string::npos)
            << view.error().message;
    }

    const format::RecordingHeader h = header_for_cpu_faults_probes();
    const EventTable events(h);
    EXPECT_EQ(available_views(h), (std::vector<std::string>{"cpu", "faults", "probes"}));
    EXPECT_EQ(default_view(h), "cpu");
    for (const std::string& name : available_views(h)) {
        auto view = make_view(name, h, events, {});
        ASSERT_TRUE(view.ok()) << name << ": " << view.error().message;
        EXPECT_EQ((*view)->name(), name);
    }
}

TEST(ViewRegistry, UnknownViewNamesEveryViewAndWhatTheRecordingSupports) {
    const format::RecordingHeader h = header_for_cpu_faults_probes();
    auto view = make_view("nosuchview", h, EventTable(h), {});
    ASSERT_FALSE(view.ok());
    const std::string& msg = view.error().message;
    EXPECT_NE(msg.find("unknown view 'nosuchview'"), std::string::npos) << msg;
    for (const ViewInfo& v : view_registry()) EXPECT_NE(msg.find(std::string(v.name)), std::string::npos) << msg;
    EXPECT_NE(msg.find("this recording supports: cpu, faults, probes"), std::string::npos) << msg;
}

// perf record --off-cpu's offcpu-time event gives the offcpu view (not hotcold or wakeup, which
// need switch times); only perf's event is taken for it: a software event of that name but
// another config, or a BPF-output event of another name, is not.
TEST(ViewRegistry, PerfOffCpuTimeGivesTheOffCpuViewOnly) {
    format::RecordingHeader h;
    h.target = format::TargetKind::kCommand;
    h.events.push_back(event("cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, true));
    h.events.push_back(event("offcpu-time", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, false));
    const EventTable events(h);
    EXPECT_EQ(available_views(h), (std::vector<std::string>{"cpu", "offcpu"}));
    auto offcpu = make_view("offcpu", h, events, {});
    ASSERT_TRUE(offcpu.ok()) << offcpu.error().message;
    EXPECT_EQ((*offcpu)->name(), "offcpu");
    EXPECT_FALSE((*offcpu)->wants(0));
    EXPECT_TRUE((*offcpu)->wants(1));
    for (const char* name : {"hotcold", "wakeup"}) {
        auto view = make_view(name, h, events, {});
        ASSERT_FALSE(view.ok()) << name;
        EXPECT_NE(view.error().message.find("perf record --off-cpu's offcpu-time"), std::string::npos)
            << view.error().message;
    }

    for (const auto& impostor : {event("offcpu-time", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, false),
                                 event("bpf-output", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, false)}) {
        format::RecordingHeader other;
        other.events.push_back(impostor);
        EXPECT_TRUE(available_views(other).empty()) << impostor.name;
    }
}

// perf 6.15 and later put the thread, period and stack of offcpu-time samples inside
// PERF_SAMPLE_RAW: not decoded, and the offcpu view says so instead of showing empty stacks.
TEST(ViewRegistry, PerfOffCpuTimeInTheEmbeddedLayoutIsRefusedClearly) {
    format::RecordingHeader h;
    auto offcpu = event("offcpu-time", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, false);
    perf_event_attr a = offcpu.perf_attr();
    a.sample_type |= PERF_SAMPLE_RAW;
    std::memcpy(offcpu.attr.data(), &a, sizeof a);
    h.events.push_back(offcpu);
    EXPECT_TRUE(available_views(h).empty());
    auto view = make_view("offcpu", h, EventTable(h), {});
    ASSERT_FALSE(view.ok());
    EXPECT_NE(view.error().message.find("perf 6.15 and later"), std::string::npos) << view.error().message;
}
