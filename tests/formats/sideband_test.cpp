// Sideband payloads: round trips, and decoders fed truncated, corrupt and hostile bytes.
#include "formats/sideband.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "formats/byte_io.h"

using namespace kiln;
using namespace kiln::format;

namespace {

ProcessSnapshot sample_snapshot() {
    ProcessSnapshot s;
    s.time_ns = 123456789012345ull;
    ProcessEntry p;
    p.pid = 4242;
    p.ppid = 1;
    p.comm = "server";
    p.exe = "/usr/bin/server";
    p.cmdline = {"/usr/bin/server", "--port", "8080", ""};
    p.tids = {4242, 4243};
    p.thread_comms = {"server", "worker 1"};
    MappingEntry text;
    text.start = 0x555500001000;
    text.end = 0x555500005000;
    text.pgoff = 0x1000;
    text.prot = 5;
    text.flags = 2;
    text.inode = 987654;
    text.dev_major = 0xfd;
    text.dev_minor = 1;
    text.path = "/usr/bin/server";
    text.build_id = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                     0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
    MappingEntry stack;
    stack.start = 0x7ffc00000000;
    stack.end = 0x7ffc00021000;
    stack.prot = 3;
    stack.flags = 2;
    stack.path = "[stack]";
    p.maps = {text, stack};
    s.processes.push_back(p);
    ProcessEntry kthread;
    kthread.pid = 2;
    kthread.comm = "kthreadd";
    kthread.tids = {2};
    kthread.thread_comms = {"kthreadd"};
    s.processes.push_back(kthread);
    return s;
}

KernelSymbols sample_symbols() {
    KernelSymbols s;
    s.symbols = {{0xffffffff81000000, 'T', "_stext", ""},
                 {0xffffffff81001000, 't', "do_one_initcall", ""},
                 {0xffffffffc0001000, 't', "ext4_readpage", "ext4"}};
    return s;
}

KernelModules sample_modules() {
    KernelModules m;
    m.modules = {{"ext4", 0xffffffffc0000000, 0x100000, {1, 2, 3, 4}}, {"nf_tables", 0xffffffffc0200000, 4096, {}}};
    return m;
}

KernelImage sample_image() {
    return {"6.1.0-13-amd64", {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 0xffffffff81000000, 0xffffffff82000000};
}

PerfMapFile sample_perf_map() { return {777, "7f0000001000 40 LazyCompile:~main app.js:1\n7f0000002000 10 stub\n"}; }

BuildIdTable sample_build_ids() {
    BuildIdTable t;
    t.entries = {{-1, "/usr/lib/libc.so.6", {0xaa, 0xbb}}, {99, "/memfd:jit (deleted)", {0xcc}}};
    return t;
}

// Every payload kind, encoded, with a decoder that reports only success and the message.
struct Payload {
    const char* name;
    std::vector<uint8_t> bytes;
    std::function<Result<bool>(std::span<const uint8_t>)> decode;
};

template <typename T, typename Fn>
std::function<Result<bool>(std::span<const uint8_t>)> wrap(Fn fn) {
    return [fn](std::span<const uint8_t> b) -> Result<bool> {
        Result<T> r = fn(b);
        if (!r) return r.error();
        return true;
    };
}

std::vector<Payload> all_payloads() {
    return {
        {"process snapshot", encode(sample_snapshot()), wrap<ProcessSnapshot>(decode_process_snapshot)},
        {"kernel symbols", encode(sample_symbols()), wrap<KernelSymbols>(decode_kernel_symbols)},
        {"kernel modules", encode(sample_modules()), wrap<KernelModules>(decode_kernel_modules)},
        {"kernel image", encode(sample_image()), wrap<KernelImage>(decode_kernel_image)},
        {"perf map", encode(sample_perf_map()), wrap<PerfMapFile>(decode_perf_map)},
        {"build-id table", encode(sample_build_ids()), wrap<BuildIdTable>(decode_build_ids)},
    };
}

}  // namespace

TEST(Sideband, ProcessSnapshotRoundTrip) {
    ProcessSnapshot in = sample_snapshot();
    auto out = decode_process_snapshot(encode(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->time_ns, in.time_ns);
    ASSERT_EQ(out->processes.size(), 2u);
    const ProcessEntry& p = out->processes[0];
    EXPECT_EQ(p.pid, 4242);
    EXPECT_EQ(p.ppid, 1);
    EXPECT_EQ(p.comm, "server");
    EXPECT_EQ(p.exe, "/usr/bin/server");
    EXPECT_EQ(p.cmdline, in.processes[0].cmdline);
    EXPECT_EQ(p.tids, in.processes[0].tids);
    EXPECT_EQ(p.thread_comms, in.processes[0].thread_comms);
    ASSERT_EQ(p.maps.size(), 2u);
    const MappingEntry& m = p.maps[0];
    const MappingEntry& e = in.processes[0].maps[0];
    EXPECT_EQ(m.start, e.start);
    EXPECT_EQ(m.end, e.end);
    EXPECT_EQ(m.pgoff, e.pgoff);
    EXPECT_EQ(m.prot, e.prot);
    EXPECT_EQ(m.flags, e.flags);
    EXPECT_EQ(m.inode, e.inode);
    EXPECT_EQ(m.dev_major, e.dev_major);
    EXPECT_EQ(m.dev_minor, e.dev_minor);
    EXPECT_EQ(m.path, e.path);
    EXPECT_EQ(m.build_id, e.build_id);
    EXPECT_EQ(p.maps[1].path, "[stack]");
    EXPECT_TRUE(p.maps[1].build_id.empty());
    EXPECT_EQ(out->processes[1].comm, "kthreadd");
    EXPECT_TRUE(out->processes[1].maps.empty());
    EXPECT_EQ(encode(*out), encode(in));
}

TEST(Sideband, ThreadNamesMissingAreWrittenEmpty) {
    ProcessSnapshot in;
    ProcessEntry p;
    p.pid = 5;
    p.tids = {5, 6, 7};
    p.thread_comms = {"main"};
    in.processes.push_back(p);
    auto out = decode_process_snapshot(encode(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->processes[0].tids, (std::vector<int32_t>{5, 6, 7}));
    EXPECT_EQ(out->processes[0].thread_comms, (std::vector<std::string>{"main", "", ""}));
}

TEST(Sideband, KernelSymbolsRoundTrip) {
    KernelSymbols in = sample_symbols();
    auto out = decode_kernel_symbols(encode(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(out->symbols.size(), 3u);
    for (size_t i = 0; i < in.symbols.size(); ++i) {
        EXPECT_EQ(out->symbols[i].address, in.symbols[i].address);
        EXPECT_EQ(out->symbols[i].type, in.symbols[i].type);
        EXPECT_EQ(out->symbols[i].name, in.symbols[i].name);
        EXPECT_EQ(out->symbols[i].module, in.symbols[i].module);
    }
}

TEST(Sideband, KernelModulesRoundTrip) {
    KernelModules in = sample_modules();
    auto out = decode_kernel_modules(encode(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(out->modules.size(), 2u);
    for (size_t i = 0; i < in.modules.size(); ++i) {
        EXPECT_EQ(out->modules[i].name, in.modules[i].name);
        EXPECT_EQ(out->modules[i].base, in.modules[i].base);
        EXPECT_EQ(out->modules[i].size, in.modules[i].size);
        EXPECT_EQ(out->modules[i].build_id, in.modules[i].build_id);
    }
}

TEST(Sideband, KernelImageRoundTrip) {
    KernelImage in = sample_image();
    auto out = decode_kernel_image(encode(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->release, in.release);
    EXPECT_EQ(out->build_id, in.build_id);
    EXPECT_EQ(out->text_start, in.text_start);
    EXPECT_EQ(out->text_end, in.text_end);
}

TEST(Sideband, PerfMapRoundTrip) {
    PerfMapFile in = sample_perf_map();
    auto out = decode_perf_map(encode(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->pid, in.pid);
    EXPECT_EQ(out->contents, in.contents);
}

TEST(Sideband, BuildIdTableRoundTrip) {
    BuildIdTable in = sample_build_ids();
    auto out = decode_build_ids(encode(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(out->entries.size(), 2u);
    EXPECT_EQ(out->entries[0].pid, -1);
    EXPECT_EQ(out->entries[0].path, "/usr/lib/libc.so.6");
    EXPECT_EQ(out->entries[0].build_id, (std::vector<uint8_t>{0xaa, 0xbb}));
    EXPECT_EQ(out->entries[1].pid, 99);
    EXPECT_EQ(out->entries[1].path, "/memfd:jit (deleted)");
}

TEST(Sideband, EmptyStructsRoundTrip) {
    EXPECT_TRUE(decode_process_snapshot(encode(ProcessSnapshot{})).ok());
    EXPECT_TRUE(decode_kernel_symbols(encode(KernelSymbols{})).ok());
    EXPECT_TRUE(decode_kernel_modules(encode(KernelModules{})).ok());
    EXPECT_TRUE(decode_kernel_image(encode(KernelImage{})).ok());
    EXPECT_TRUE(decode_perf_map(encode(PerfMapFile{})).ok());
    EXPECT_TRUE(decode_build_ids(encode(BuildIdTable{})).ok());
}

TEST(Sideband, EveryTruncatedPrefixFails) {
    for (const Payload& p : all_payloads()) {
        SCOPED_TRACE(p.name);
        ASSERT_TRUE(p.decode(p.bytes).ok());
        for (size_t len = 0; len < p.bytes.size(); ++len) {
            auto r = p.decode(std::span(p.bytes.data(), len));
            ASSERT_FALSE(r.ok()) << "prefix of " << len << " of " << p.bytes.size() << " bytes decoded";
            EXPECT_NE(r.error().message.find(p.name), std::string::npos) << r.error().message;
        }
    }
}

TEST(Sideband, TrailingBytesAreIgnored) {
    // A newer minor version may append fields; this reader skips them.
    for (Payload& p : all_payloads()) {
        SCOPED_TRACE(p.name);
        p.bytes.insert(p.bytes.end(), {1, 2, 3, 4, 5});
        EXPECT_TRUE(p.decode(p.bytes).ok());
    }
}

TEST(Sideband, UnknownVersionIsRefused) {
    for (Payload& p : all_payloads()) {
        SCOPED_TRACE(p.name);
        p.bytes[0] = 2;
        auto r = p.decode(p.bytes);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find(p.name), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("version 2"), std::string::npos) << r.error().message;
    }
}

TEST(Sideband, HugeProcessCountFailsCleanly) {
    ByteWriter w;
    w.u32(1);           // version
    w.u64(0);           // time_ns
    w.u32(0xffffffff);  // processes
    auto r = decode_process_snapshot(w.bytes());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("process snapshot"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("4294967295"), std::string::npos) << r.error().message;
}

TEST(Sideband, HugeNestedCountFailsWithContext) {
    ProcessSnapshot s;
    ProcessEntry p;
    p.pid = 31337;
    s.processes.push_back(p);
    std::vector<uint8_t> bytes = encode(s);
    // The last u32 is the process's mapping count.
    ASSERT_GE(bytes.size(), 4u);
    for (size_t i = bytes.size() - 4; i < bytes.size(); ++i) bytes[i] = 0xff;
    // Give it plenty of (too few) bytes to look at.
    bytes.insert(bytes.end(), 1000, 0);
    auto r = decode_process_snapshot(bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("pid 31337"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("mappings"), std::string::npos) << r.error().message;
}

TEST(Sideband, HugeCountsInEveryListFail) {
    auto check = [](std::vector<uint8_t> bytes, auto decode) {
        auto r = decode(bytes);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("cannot fit"), std::string::npos) << r.error().message;
    };
    ByteWriter w;
    w.u32(1);
    w.u32(0x40000000);
    check(w.bytes(), decode_kernel_symbols);
    check(w.bytes(), decode_kernel_modules);
    check(w.bytes(), decode_build_ids);
}

TEST(Sideband, HugeStringLengthFailsCleanly) {
    ByteWriter w;
    w.u32(1);           // version
    w.u32(7);           // pid
    w.u32(0xfffffff0);  // contents length
    auto r = decode_perf_map(w.bytes());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("perf map"), std::string::npos) << r.error().message;
}

TEST(Sideband, CorruptBytesNeverCrash) {
    // Each byte set to a few hostile values in turn: decoders may succeed or fail, never
    // crash or over-allocate (run under ASan/UBSan). A failure names the payload it was
    // reading, and lengths and counts set to 0xff or 0x80 run past the end: every payload
    // has such fields, so each must refuse some of its corruptions.
    for (const Payload& p : all_payloads()) {
        SCOPED_TRACE(p.name);
        size_t refused = 0;
        for (size_t i = 0; i < p.bytes.size(); ++i) {
            for (uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff}}) {
                std::vector<uint8_t> b = p.bytes;
                b[i] = v;
                auto r = p.decode(b);
                if (r.ok()) continue;
                ++refused;
                EXPECT_NE(r.error().message.find(p.name), std::string::npos)
                    << "byte " << i << " set to " << int{v} << ": " << r.error().message;
            }
        }
        EXPECT_GT(refused, 0u);
    }
}

TEST(Sideband, BuildIdHex) {
    const uint8_t id[] = {0x00, 0x0f, 0xa0, 0xff};
    EXPECT_EQ(build_id_hex(id), "000fa0ff");
    EXPECT_EQ(build_id_hex({}), "");
}
