// DIR/events.jsonl: what kiln monitor appends and `kiln monitor --events` reads back.
#include "recorder/monitor_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/temp_dir.h"

namespace kiln::recorder {
namespace {

MonitorEvent sample_event() {
    MonitorEvent e;
    e.realtime_ns = 1796591578346600162ull;  // 2026-12-06T21:12:58.346Z
    e.t_s = 4.961;
    e.trigger = "load>=8";
    e.value = 12;
    e.load1 = 3.96, e.load5 = 4.01, e.load15 = 2.21;
    e.running = 12;
    e.file = "/var/kiln/kiln-20261206-211258.kiln";
    e.bytes = 643081;
    e.samples = 1179;
    e.before_s = 3.0;
    e.after_s = 1.001;
    return e;
}

TEST(MonitorLog, ALineHasTheFieldsOnCallEngineersReadAndReadsBack) {
    const std::string line = to_json_line(sample_event());
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_NE(line.find("\"time\":\"2026-12-06T21:12:58.346Z\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"after_s\":1.001,"), std::string::npos) << line;  // no binary noise
    for (const char* key : {"\"t_s\"", "\"trigger\"", "\"value\"", "\"load1\"", "\"load5\"", "\"load15\"", "\"running\"", "\"file\""})
        EXPECT_NE(line.find(key), std::string::npos) << key;
    EXPECT_EQ(line.find("\"error\""), std::string::npos);  // only when a dump failed
    auto back = parse_event_line(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->realtime_ns, sample_event().realtime_ns);
    EXPECT_EQ(back->trigger, "load>=8");
    EXPECT_EQ(back->running, 12);
    EXPECT_EQ(back->file, sample_event().file);
    EXPECT_DOUBLE_EQ(back->load5, 4.01);
}

TEST(MonitorLog, AppendsAndReadsEveryLineAndNamesABadOne) {
    test::TempDir tmp;
    const std::string path = tmp.path("events.jsonl");
    MonitorEvent failed = sample_event();
    failed.file.clear();
    failed.error = "writing x.kiln: No space left on device";
    ASSERT_TRUE(append_event(path, sample_event()).ok());
    ASSERT_TRUE(append_event(path, failed).ok());
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto all = read_events(path);
    ASSERT_TRUE(all.ok()) << all.error().message;
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[1].error, failed.error);

    std::ofstream(path, std::ios::app) << "{\"trigger\": 5}\n";
    auto wrong_type = read_events(path);
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_NE(wrong_type.error().message.find("events.jsonl:3"), std::string::npos) << wrong_type.error().message;

    for (const std::string bad : {"not json", "[1,2]", "{}", "{\"trigger\":\"x\",\"running\":\"many\"}", "{\"trigger\""}) {
        auto e = parse_event_line(bad);
        EXPECT_FALSE(e.ok()) << bad;
    }
    EXPECT_FALSE(read_events(tmp.path("missing.jsonl")).ok());
}

}  // namespace
}  // namespace kiln::recorder
