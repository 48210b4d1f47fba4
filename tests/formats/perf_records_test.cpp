// The typed perf record layer: each record type built as the kernel lays it out
// (perf_event_open(2)), parsed back field by field; truncated, mistyped and hostile records
// are errors naming the record, never reads past the end.
#include "formats/perf_records.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "formats/byte_io.h"
#include "formats/kiln_format.h"

namespace kiln::format {
namespace {

// A record: header, the body that write() puts, a NUL-padded string to a multiple of 8 and an
// 8-byte stand-in for the sample_id trailer.
std::vector<uint8_t> record(uint32_t type, uint16_t misc, const std::function<void(ByteWriter&)>& body,
                            const std::string& text = "", bool has_text = false) {
    ByteWriter w;
    w.u32(type);
    w.u16(misc);
    w.u16(0);  // size, set below
    body(w);
    if (has_text) {
        w.raw(text.data(), text.size());
        for (size_t pad = 8 - text.size() % 8; pad > 0; --pad) w.u8(0);
    }
    w.u64(0x1122334455667788);  // sample_id trailer
    std::vector<uint8_t> bytes = w.take();
    const auto size = static_cast<uint16_t>(bytes.size());
    std::memcpy(bytes.data() + 6, &size, 2);
    return bytes;
}

std::vector<uint8_t> mmap2_with_build_id(uint8_t id_size) {
    return record(
        PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER | PERF_RECORD_MISC_MMAP_BUILD_ID,
        [&](ByteWriter& w) {
            w.u32(42);
            w.u32(43);
            w.u64(0x7f0000001000);
            w.u64(0x2000);
            w.u64(0x1000);
            w.u8(id_size);
            w.u8(0);
            w.u16(0);
            for (uint8_t i = 0; i < 20; ++i) w.u8(static_cast<uint8_t>(0xa0 + i));
            w.u32(PROT_READ | PROT_EXEC);
            w.u32(MAP_PRIVATE);
        },
        "/usr/lib/libfoo.so", true);
}

// Every proper prefix of rec (header included) fails, with an error naming the record.
void expect_every_prefix_fails(const std::vector<uint8_t>& rec, const std::string& name,
                               const std::function<bool(std::span<const uint8_t>, std::string&)>& parse) {
    for (size_t len = 0; len < rec.size() - 8; ++len) {  // the last 8 bytes are the trailer
        std::vector<uint8_t> cut(rec.begin(), rec.begin() + static_cast<long>(len));
        if (len >= 8) {
            const auto size = static_cast<uint16_t>(len);
            std::memcpy(cut.data() + 6, &size, 2);
        }
        std::string error;
        if (parse(cut, error)) {
            // Only a string field may end early (it is cut at the record's end, not its NUL).
            continue;
        }
        EXPECT_TRUE(error.find(name) != std::string::npos || error.find("shorter than its header") != std::string::npos)
            << len << ": " << error;
    }
}

TEST(PerfRecords, Mmap2WithBuildId) {
    const auto rec = mmap2_with_build_id(20);
    auto m = parse_mmap(rec);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_TRUE(m->mmap2);
    EXPECT_EQ(m->pid, 42u);
    EXPECT_EQ(m->tid, 43u);
    EXPECT_EQ(m->addr, 0x7f0000001000u);
    EXPECT_EQ(m->len, 0x2000u);
    EXPECT_EQ(m->pgoff, 0x1000u);
    EXPECT_EQ(m->prot, static_cast<uint32_t>(PROT_READ | PROT_EXEC));
    EXPECT_EQ(m->flags, static_cast<uint32_t>(MAP_PRIVATE));
    ASSERT_EQ(m->build_id.size(), 20u);
    EXPECT_EQ(m->build_id[0], 0xa0);
    EXPECT_EQ(m->build_id[19], 0xb3);
    EXPECT_EQ(m->filename, "/usr/lib/libfoo.so");

    // A shorter build-id (md5: 16 bytes) is cut to its size; an impossible size gives none.
    const auto md5_record = mmap2_with_build_id(16);
    auto md5 = parse_mmap(md5_record);
    ASSERT_TRUE(md5.ok());
    EXPECT_EQ(md5->build_id.size(), 16u);
    for (uint8_t bad : {uint8_t{0}, uint8_t{21}, uint8_t{255}}) {
        const auto none_record = mmap2_with_build_id(bad);
        auto none = parse_mmap(none_record);
        ASSERT_TRUE(none.ok());
        EXPECT_TRUE(none->build_id.empty()) << int{bad};
    }
}

TEST(PerfRecords, Mmap2WithDeviceAndInode) {
    const auto rec = record(
        PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER,
        [](ByteWriter& w) {
            w.u32(7);
            w.u32(7);
            w.u64(0x400000);
            w.u64(0x1000);
            w.u64(0);
            w.u32(8);       // major
            w.u32(1);       // minor
            w.u64(123456);  // inode
            w.u64(9);       // generation
            w.u32(PROT_READ);
            w.u32(MAP_SHARED);
        },
        "//anon", true);
    auto m = parse_mmap(rec);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_TRUE(m->build_id.empty());
    EXPECT_EQ(m->dev_major, 8u);
    EXPECT_EQ(m->dev_minor, 1u);
    EXPECT_EQ(m->inode, 123456u);
    EXPECT_EQ(m->inode_generation, 9u);
    EXPECT_EQ(m->prot, static_cast<uint32_t>(PROT_READ));
    EXPECT_EQ(m->filename, "//anon");
}

TEST(PerfRecords, MmapHasNoProtFieldButItsMiscSaysCodeOrData) {
    auto mmap = [](uint16_t misc) {
        return record(
            PERF_RECORD_MMAP, misc,
            [](ByteWriter& w) {
                w.u32(1);
                w.u32(2);
                w.u64(0x1000);
                w.u64(0x2000);
                w.u64(0x3000);
            },
            "/bin/x", true);
    };
    const auto code_record = mmap(PERF_RECORD_MISC_USER);  // the parse points into it
    auto code = parse_mmap(code_record);
    ASSERT_TRUE(code.ok()) << code.error().message;
    EXPECT_FALSE(code->mmap2);
    EXPECT_EQ(code->prot, static_cast<uint32_t>(PROT_READ | PROT_EXEC));
    EXPECT_EQ(code->filename, "/bin/x");
    EXPECT_EQ(code->pgoff, 0x3000u);
    const auto data_record = mmap(PERF_RECORD_MISC_USER | PERF_RECORD_MISC_MMAP_DATA);
    auto data = parse_mmap(data_record);
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(data->prot, static_cast<uint32_t>(PROT_READ));
}

TEST(PerfRecords, CommForkExit) {
    const auto comm = record(
        PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC,
        [](ByteWriter& w) {
            w.u32(100);
            w.u32(101);
        },
        "worker", true);
    auto c = parse_comm(comm);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->pid, 100u);
    EXPECT_EQ(c->tid, 101u);
    EXPECT_EQ(c->comm, "worker");
    EXPECT_TRUE(c->exec);

    for (uint32_t type : {uint32_t{PERF_RECORD_FORK}, uint32_t{PERF_RECORD_EXIT}}) {
        const auto rec = record(type, 0, [](ByteWriter& w) {
            w.u32(10);
            w.u32(1);
            w.u32(11);
            w.u32(2);
            w.u64(987654321);
        });
        auto t = parse_task(rec);
        ASSERT_TRUE(t.ok()) << t.error().message;
        EXPECT_EQ(t->exit, type == PERF_RECORD_EXIT);
        EXPECT_EQ(t->pid, 10u);
        EXPECT_EQ(t->ppid, 1u);
        EXPECT_EQ(t->tid, 11u);
        EXPECT_EQ(t->ptid, 2u);
        EXPECT_EQ(t->time, 987654321u);
    }
}

TEST(PerfRecords, LostThrottleSwitch) {
    auto lost = parse_lost(record(PERF_RECORD_LOST, 0, [](ByteWriter& w) {
        w.u64(5);
        w.u64(1234);
    }));
    ASSERT_TRUE(lost.ok());
    EXPECT_EQ(lost->id, 5u);
    EXPECT_EQ(lost->lost, 1234u);
    auto lost_samples = parse_lost_samples(record(PERF_RECORD_LOST_SAMPLES, 0, [](ByteWriter& w) { w.u64(77); }));
    ASSERT_TRUE(lost_samples.ok());
    EXPECT_EQ(lost_samples->lost, 77u);

    auto throttle = parse_throttle(record(PERF_RECORD_UNTHROTTLE, 0, [](ByteWriter& w) {
        w.u64(1000);
        w.u64(6);
        w.u64(7);
    }));
    ASSERT_TRUE(throttle.ok());
    EXPECT_TRUE(throttle->unthrottle);
    EXPECT_EQ(throttle->time, 1000u);
    EXPECT_EQ(throttle->id, 6u);
    EXPECT_EQ(throttle->stream_id, 7u);

    auto in = parse_switch(record(PERF_RECORD_SWITCH, 0, [](ByteWriter&) {}));
    ASSERT_TRUE(in.ok());
    EXPECT_FALSE(in->out);
    EXPECT_FALSE(in->cpu_wide);
    auto out = parse_switch(record(PERF_RECORD_SWITCH_CPU_WIDE,
                                   PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_SWITCH_OUT_PREEMPT,
                                   [](ByteWriter& w) {
                                       w.u32(300);
                                       w.u32(301);
                                   }));
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->out);
    EXPECT_TRUE(out->preempted);
    EXPECT_TRUE(out->cpu_wide);
    EXPECT_EQ(out->other_pid, 300u);
    EXPECT_EQ(out->other_tid, 301u);
}

TEST(PerfRecords, RoundEndMarker) {
    ByteWriter w;
    w.u32(kRecordRoundEnd);
    w.u16(0);
    w.u16(8);
    EXPECT_TRUE(is_round_end(w.bytes()));
    EXPECT_FALSE(is_round_end(record(PERF_RECORD_SWITCH, 0, [](ByteWriter&) {})));
    EXPECT_FALSE(is_round_end(std::vector<uint8_t>(4, 0)));
}

TEST(PerfRecords, WrongTypeIsAnErrorNamingBoth) {
    auto m = parse_mmap(record(PERF_RECORD_COMM, 0, [](ByteWriter& w) { w.u64(0); }, "x", true));
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("expected a MMAP record, got COMM"), std::string::npos) << m.error().message;
    auto l = parse_lost(std::vector<uint8_t>(3, 0));
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.error().message.find("shorter than its header"), std::string::npos) << l.error().message;
}

TEST(PerfRecords, EveryTruncationIsAnErrorNamingTheRecord) {
    expect_every_prefix_fails(mmap2_with_build_id(20), "MMAP2 record", [](auto b, std::string& e) {
        auto r = parse_mmap(b);
        if (!r) e = r.error().message;
        return r.ok() && !r->filename.empty();
    });
    const auto fork = record(PERF_RECORD_FORK, 0, [](ByteWriter& w) {
        w.u64(1);
        w.u64(2);
        w.u64(3);
    });
    expect_every_prefix_fails(fork, "FORK record", [](auto b, std::string& e) {
        auto r = parse_task(b);
        if (!r) e = r.error().message;
        return r.ok();
    });
    size_t ok_prefixes = 0;
    for (size_t len = 8; len < fork.size() - 8; ++len) {
        std::vector<uint8_t> cut(fork.begin(), fork.begin() + static_cast<long>(len));
        ok_prefixes += parse_task(cut).ok();
    }
    EXPECT_EQ(ok_prefixes, 0u) << "a FORK record cut short parsed";
}

// Hostile bytes: every byte of each record set to a few values; parsers may succeed or fail,
// never read outside the record (the ASan build checks), and strings stay inside it.
TEST(PerfRecords, CorruptBytesStayInsideTheRecord) {
    const std::vector<std::vector<uint8_t>> records = {
        mmap2_with_build_id(20),
        record(PERF_RECORD_COMM, 0, [](ByteWriter& w) { w.u64(0); }, "name", true),
        record(PERF_RECORD_EXIT, 0, [](ByteWriter& w) {
            w.u64(1);
            w.u64(2);
            w.u64(3);
        }),
    };
    for (const auto& original : records) {
        for (size_t i = 0; i < original.size(); ++i) {
            for (uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0xff}}) {
                std::vector<uint8_t> b = original;
                b[i] = v;
                const std::span<const uint8_t> s = b;
                auto inside = [&](std::string_view text) {
                    return text.empty() || (reinterpret_cast<const uint8_t*>(text.data()) >= s.data() &&
                                            reinterpret_cast<const uint8_t*>(text.data() + text.size()) <= s.data() + s.size());
                };
                if (auto m = parse_mmap(s)) {
                    EXPECT_TRUE(inside(m->filename));
                }
                if (auto c = parse_comm(s)) {
                    EXPECT_TRUE(inside(c->comm));
                }
                (void)parse_task(s);
                (void)parse_lost(s);
                (void)parse_switch(s);
            }
        }
    }
}

}  // namespace
}  // namespace kiln::format
