// perf record --off-cpu files (perf >= 5.19 built with BPF skeletons; Debian's perf 6.1 is not,
// so none can be recorded here): built by hand as perf writes them (formats/perf_offcpu.h:
// tools/perf/util/bpf_off_cpu.c off_cpu_write()), a cpu-clock event beside an offcpu-time
// event whose samples hold known off-CPU sums at addresses of the offcpu_mix workload's real
// functions. `kiln analyze --view offcpu` must give each stack its period, named; the views
// that need switch times say why they cannot; cut copies never crash.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "formats/byte_io.h"
#include "tests/command_output.h"
#include "tests/formats/perf_data_builder.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;
using kiln::ByteWriter;

namespace {

constexpr uint64_t kSampleType = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                                 PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;
constexpr uint64_t kCpuClockId = 11, kOffCpuId = 22;
constexpr uint32_t kPid = 4242;
constexpr uint64_t kBase = 0x555555554000;  // where the PIE workload is "mapped"
constexpr uint64_t kMs = 1000000;

using kiln::test::output_of;

// The workload's function addresses (nm) and its executable PT_LOAD (readelf), as file vaddrs.
struct Elf {
    std::map<std::string, uint64_t> symbols;
    uint64_t exec_offset = 0, exec_vaddr = 0, exec_memsz = 0;
};
Elf read_elf(const std::string& path) {
    Elf elf;
    std::istringstream nm(output_of("nm --defined-only '" + path + "'"));
    for (std::string line; std::getline(nm, line);) {
        std::istringstream f(line);
        std::string addr, type, name;
        if (f >> addr >> type >> name && (type == "T" || type == "t"))
            elf.symbols[name] = std::stoull(addr, nullptr, 16);
    }
    const std::regex load(R"(LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+R E)");
    std::istringstream segments(output_of("readelf -lW '" + path + "'"));
    for (std::string line; std::getline(segments, line);)
        if (std::smatch m; std::regex_search(line, m, load)) {
            elf.exec_offset = std::stoull(m[1], nullptr, 16);
            elf.exec_vaddr = std::stoull(m[2], nullptr, 16);
            elf.exec_memsz = std::stoull(m[3], nullptr, 16);
        }
    return elf;
}

// sample_id_all's trailer for kSampleType: pid/tid, time, cpu/res, identifier.
void trailer(ByteWriter& r, uint64_t time, uint64_t id) {
    r.u32(kPid), r.u32(kPid);
    r.u64(time);
    r.u32(0), r.u32(0);
    r.u64(id);
}

void put_record(ByteWriter& data, uint32_t type, uint16_t misc, const ByteWriter& body) {
    data.u32(type);
    data.u16(misc);
    data.u16(static_cast<uint16_t>(8 + body.size()));
    data.raw(body.bytes().data(), body.size());
}

void put_padded(ByteWriter& r, const std::string& s) {
    r.raw(s.data(), s.size());
    for (size_t n = s.size(); n < (s.size() + 8) / 8 * 8; ++n) r.u8(0);
}

// A sample as the kernel (cpu-clock) or off_cpu_write() (offcpu-time) lays it out: identifier,
// ip (the first callchain entry), pid/tid, time, cpu 0, period, callchain (PERF_CONTEXT_USER
// then the user stack, leaf first).
void put_sample(ByteWriter& data, uint64_t id, uint64_t time, uint64_t period, const std::vector<uint64_t>& stack) {
    ByteWriter r;
    r.u64(id);
    r.u64(stack.front());
    r.u32(kPid), r.u32(kPid);
    r.u64(time);
    r.u32(0), r.u32(0);
    r.u64(period);
    r.u64(stack.size() + 1);
    r.u64(PERF_CONTEXT_USER);
    for (uint64_t a : stack) r.u64(a);
    put_record(data, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, r);
}

// The file perf record --off-cpu -e cpu-clock -- offcpu_mix would write, with main;sleep_400ms
// off the CPU for 300 ms and main;block_on_pipe for 100 ms (as two samples: 60 + 40 ms).
std::vector<uint8_t> offcpu_perf_data(const std::string& binary) {
    const Elf elf = read_elf(binary);
    EXPECT_TRUE(elf.exec_memsz && elf.symbols.count("main") && elf.symbols.count("sleep_400ms") &&
                elf.symbols.count("block_on_pipe") && elf.symbols.count("spin_300ms"))
        << "nm/readelf found no executable segment or functions in " << binary;
    const auto at = [&](const char* fn, uint64_t plus) { return kBase + elf.symbols.at(fn) + plus; };

    SyntheticEvent clock;
    clock.attr.type = PERF_TYPE_SOFTWARE;
    clock.attr.config = PERF_COUNT_SW_CPU_CLOCK;
    clock.attr.freq = 1;
    clock.attr.sample_freq = 999;
    clock.attr.sample_type = kSampleType;
    clock.attr.sample_id_all = 1;
    clock.ids = {kCpuClockId};
    clock.name = "cpu-clock";
    // off_cpu_config(): PERF_TYPE_SOFTWARE/PERF_COUNT_SW_BPF_OUTPUT, freq with sample_period 1.
    SyntheticEvent offcpu = clock;
    offcpu.attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    offcpu.attr.sample_freq = 1;
    offcpu.ids = {kOffCpuId};
    offcpu.name = "offcpu-time";

    ByteWriter data;
    const uint64_t t0 = 1000 * kMs;
    {
        ByteWriter comm;
        comm.u32(kPid), comm.u32(kPid);
        put_padded(comm, "offcpu_mix_fp");
        trailer(comm, t0, kCpuClockId);
        put_record(data, PERF_RECORD_COMM, 0, comm);
    }
    {
        const uint64_t page = 0xfff, start = elf.exec_vaddr & ~page;
        ByteWriter mmap;
        mmap.u32(kPid), mmap.u32(kPid);
        mmap.u64(kBase + start);
        mmap.u64((elf.exec_vaddr + elf.exec_memsz - start + page) & ~page);
        mmap.u64(elf.exec_offset & ~page);
        mmap.u32(0), mmap.u32(0), mmap.u64(0), mmap.u64(0);  // maj, min, ino, ino_generation
        mmap.u32(PROT_READ | PROT_EXEC), mmap.u32(MAP_PRIVATE);
        put_padded(mmap, std::filesystem::canonical(binary).string());
        trailer(mmap, t0, kCpuClockId);
        put_record(data, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER, mmap);
    }
    put_sample(data, kCpuClockId, t0 + 1 * kMs, kMs, {at("spin_300ms", 8), at("main", 16)});
    put_sample(data, kCpuClockId, t0 + 900 * kMs, kMs, {at("spin_300ms", 8), at("main", 16)});
    data.u32(68), data.u16(0), data.u16(8);  // FINISHED_ROUND
    // off_cpu_write(), when recording stops: made-up times from ~0 << 32, cpu 0.
    uint64_t t = ~0ull << 32;
    put_sample(data, kOffCpuId, t++, 300 * kMs, {at("sleep_400ms", 4), at("main", 24)});
    put_sample(data, kOffCpuId, t++, 60 * kMs, {at("block_on_pipe", 4), at("main", 32)});
    put_sample(data, kOffCpuId, t++, 40 * kMs, {at("block_on_pipe", 4), at("main", 32)});
    return build_perf_data({clock, offcpu}, data.bytes(), true);
}

std::string write_file(const TempDir& tmp, const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = tmp.path(name);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
}

double sum_where(const std::map<std::string, double>& folded, const std::string& part) {
    double v = 0;
    for (const auto& [stack, value] : folded)
        if (stack.find(part) != std::string::npos) v += value;
    return v;
}

TEST(PerfDataOffCpu, StacksGetTheirOffCpuNanoseconds) {
    TempDir tmp;
    const std::string file = write_file(tmp, "offcpu.data", offcpu_perf_data(workload("offcpu_mix_fp")));
    auto r = run_kiln({"analyze", file, "--view", "offcpu", "--folded", "-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto folded = parse_folded(r.out);
    ASSERT_FALSE(folded.empty()) << r.out << r.err;
    double total = 0;
    for (const auto& [stack, value] : folded) {
        total += value;
        EXPECT_TRUE(stack.ends_with(";[off-cpu]")) << stack;
        EXPECT_NE(stack.find(";main;"), std::string::npos) << stack;
    }
    EXPECT_EQ(total, 400.0 * kMs) << r.out;
    EXPECT_EQ(sum_where(folded, ";main;sleep_400ms;[off-cpu]") / total, 0.75) << r.out;
    EXPECT_EQ(sum_where(folded, ";main;block_on_pipe;[off-cpu]") / total, 0.25) << r.out;
    EXPECT_EQ(sum_where(folded, "spin_300ms"), 0.0) << "cpu-clock samples are not off-CPU time";
    EXPECT_NE(r.err.find("[off-cpu]"), std::string::npos) << "the view says its leaf has no state split: " << r.err;

    // perf's made-up times are not the recording's: it spans the cpu-clock samples (899 ms),
    // and the off-CPU sums sit at its end, inside a --time range that reaches it.
    EXPECT_EQ(info_json(file)["duration_ns"], 899 * kMs);
    auto in_range = run_kiln({"analyze", file, "--view", "offcpu", "--time", "0,1", "--folded", "-"});
    EXPECT_EQ(in_range.exit_code, 0) << in_range.err;
    EXPECT_EQ(sum_where(parse_folded(in_range.out), "[off-cpu]"), 400.0 * kMs) << in_range.out << in_range.err;
    auto before = run_kiln({"analyze", file, "--view", "offcpu", "--time", "0,0.5", "--folded", "-"});
    EXPECT_EQ(sum_where(parse_folded(before.out), "[off-cpu]"), 0.0) << before.out;

    // The cpu view still has the two cpu-clock samples, and offcpu is listed as available.
    auto cpu = run_kiln({"analyze", file, "--view", "cpu", "--folded", "-"});
    ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
    EXPECT_EQ(sum_where(parse_folded(cpu.out), ";main;spin_300ms"), 2.0 * kMs) << cpu.out;
    EXPECT_EQ(sum_where(parse_folded(cpu.out), "off-cpu"), 0.0) << cpu.out;

    // pprof, SVG, top and HTML outputs of the view work too.
    for (const std::vector<std::string>& out : std::vector<std::vector<std::string>>{{"--pprof", tmp.path("o.pb.gz")},
                                                                                     {"--svg", tmp.path("o.svg")},
                                                                                     {"--top", "5"},
                                                                                     {"--html", tmp.path("o.html")}}) {
        std::vector<std::string> args{"analyze", file, "--view", "offcpu"};
        args.insert(args.end(), out.begin(), out.end());
        auto o = run_kiln(args);
        EXPECT_EQ(o.exit_code, 0) << out[0] << ": " << o.err;
    }
    EXPECT_NE(read_text(tmp.path("o.svg")).find("sleep_400ms"), std::string::npos);
}

TEST(PerfDataOffCpu, SwitchTimeViewsSayTheDataLacksWhatTheyNeed) {
    TempDir tmp;
    const std::string file = write_file(tmp, "offcpu.data", offcpu_perf_data(workload("offcpu_mix_fp")));
    for (const char* view : {"hotcold", "wakeup"}) {
        auto r = run_kiln({"analyze", file, "--view", view, "--folded", "-"});
        EXPECT_NE(r.exit_code, 0) << view;
        EXPECT_NE(r.err.find("offcpu-time"), std::string::npos) << view << ": " << r.err;
        EXPECT_NE(r.err.find("switch and wakeup times"), std::string::npos) << view << ": " << r.err;
    }
}

TEST(PerfDataOffCpu, CutCopiesNeverCrash) {
    TempDir tmp;
    const std::vector<uint8_t> whole = offcpu_perf_data(workload("offcpu_mix_fp"));
    ASSERT_GT(whole.size(), 600u);
    for (size_t cut = 40; cut < whole.size(); cut += whole.size() / 23) {
        const std::string file =
            write_file(tmp, "cut.data", std::vector<uint8_t>(whole.begin(), whole.begin() + static_cast<long>(cut)));
        auto r = run_kiln({"analyze", file, "--view", "offcpu", "--folded", "-"});
        EXPECT_EQ(r.signal, 0) << "cut at " << cut << ": " << r.err;
        EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1)
            << "cut at " << cut << ": exit " << r.exit_code << " " << r.err;
    }
}

}  // namespace
