// `kiln record -- CMD` on workloads of known CPU time, checked against that truth and
// against perf itself.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include <filesystem>

#include "analyzer/decode/record_stream.h"
#include "formats/kallsyms_subset.h"
#include "formats/recording_reader.h"
#include "formats/sideband.h"
#include "recorder/sideband/compressed_payload_cache.h"
#include "tests/tiny_bpf_program.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

bool perf_available() {
    static const bool ok = [] {
        for (const char* p : {"/usr/bin/perf", "/usr/local/bin/perf"})
            if (access(p, X_OK) == 0) return run({p, "--version"}).exit_code == 0;
        return false;
    }();
    return ok;
}

// The earliest and latest sample time of a recording.
class SampleTimeRange final : public kiln::analyzer::RecordVisitor {
public:
    void snapshot(const kiln::format::ProcessSnapshot&) override {}
    void record(const perf_event_header& h, std::span<const uint8_t>, int, uint64_t time) override {
        if (h.type != PERF_RECORD_SAMPLE) return;
        first = std::min(first, time);
        last = std::max(last, time);
        ++samples;
    }
    uint64_t first = UINT64_MAX, last = 0;
    size_t samples = 0;
};

}  // namespace

// Every sample lies between the header's start time and the STATS chunk's end time: the
// clock starts before the command's exec (its dynamic loader is sampled before
// `kiln record` learns that the exec happened), so no view puts a sample before time 0.
TEST(Record, EverySampleLiesWithinTheRecordingsStartAndEnd) {
    TempDir tmp;
    for (int i = 0; i < 8; ++i) {
        const std::string out = tmp.path("span" + std::to_string(i) + ".kiln");
        // A short run at a high rate: the loader's few hundred microseconds get samples.
        auto r = run({kiln_bin(), "record", "-F", "10000", "--counter-interval", "0", "-o", out, "--",
                      workload("threads_fork_fp"), "0.01"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto reader = kiln::format::RecordingReader::open(out);
        ASSERT_TRUE(reader.ok()) << reader.error().message;
        SampleTimeRange range;
        auto streamed = kiln::analyzer::stream_recording(**reader, range);
        ASSERT_TRUE(streamed.ok()) << streamed.error().message;
        ASSERT_TRUE(streamed->sideband.has_stats) << out;
        ASSERT_GT(range.samples, 0u) << out;
        EXPECT_GE(range.first, (*reader)->header().start_time_ns) << out << ": a sample before the start";
        EXPECT_LE(range.last, streamed->sideband.stats.end_time_ns) << out << ": a sample after the end";
    }
}

TEST(Record, SampleCountMatchesFrequencyTimesCpuTime) {
    TempDir tmp;
    const std::string out = tmp.path("cpu.kiln");
    const auto wall_start = std::chrono::steady_clock::now();
    auto r = run({kiln_bin(), "record", "-F", "999", "-o", out, "--", workload("cpu_split_fp"), "2.0"});
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double cpu_s = std::atof(r.out.c_str());
    ASSERT_GT(cpu_s, 1.9);
    EXPECT_NE(r.err.find("samples"), std::string::npos) << "summary line missing: " << r.err;
    auto info = info_json(out);
    const double expected = 999.0 * cpu_s;
    const double samples = info["samples"].get<double>();
    EXPECT_NEAR(samples, expected, 0.20 * expected) << "cpu " << cpu_s << " s";
    EXPECT_EQ(info["lost"].get<uint64_t>(), 0u);
    EXPECT_TRUE(info["complete"].get<bool>());
    EXPECT_GT(info["samples_with_callchain"].get<uint64_t>(), samples * 0.9);
    // The recording spans the command's run: at least its CPU time (one thread), at most the
    // wall time of the whole `kiln record` (on a loaded machine that can be far longer).
    EXPECT_GE(info["duration_ns"].get<double>() / 1e9, 0.95 * cpu_s);
    EXPECT_LE(info["duration_ns"].get<double>() / 1e9, wall_s);
    ASSERT_EQ(info["events"].size(), 1u);
    // No PMU on these machines: the default event falls back, and says so.
    if (info["events"][0]["name"] == "cpu-clock") {
        EXPECT_NE(r.err.find("cpu-clock"), std::string::npos);
    }
    bool has_binary = false;
    for (const auto& b : info["binaries"])
        if (b["path"].get<std::string>().find("cpu_split_fp") != std::string::npos) {
            has_binary = true;
            EXPECT_EQ(b["build_id"].get<std::string>().size(), 40u);
        }
    EXPECT_TRUE(has_binary) << info.dump(1);
}

TEST(Record, AgreesWithPerfRecord) {
    if (!perf_available()) GTEST_FAIL() << "perf (linux-perf) is needed as the reference; .ci/run installs it";
    TempDir tmp;
    auto k = run({kiln_bin(), "record", "-e", "cpu-clock", "-F", "999", "-o", tmp.path("k.kiln"), "--",
                  workload("cpu_split_fp"), "1.5"});
    ASSERT_EQ(k.exit_code, 0) << k.err;
    auto p = run({"/usr/bin/perf", "record", "-B", "-N", "-e", "cpu-clock", "-F", "999", "-g", "-o", tmp.path("perf.data"), "--",
                  workload("cpu_split_fp"), "1.5"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto script = run({"/usr/bin/perf", "script", "-i", tmp.path("perf.data"), "-F", "period"});
    ASSERT_EQ(script.exit_code, 0) << script.err;
    size_t perf_samples = 0;
    for (char c : script.out) perf_samples += c == '\n';
    auto info = info_json(tmp.path("k.kiln"));
    const double kiln_samples = info["samples"].get<double>();
    ASSERT_GT(perf_samples, 500u);
    // Same workload, same CPU time: the two sample counts agree within 15%.
    EXPECT_NEAR(kiln_samples / static_cast<double>(perf_samples), 1.0, 0.15)
        << "kiln " << kiln_samples << " perf " << perf_samples;
}

TEST(Record, DwarfModeStoresStackBytes) {
    TempDir tmp;
    const std::string out = tmp.path("dwarf.kiln");
    auto r = run({kiln_bin(), "record", "-g", "dwarf,4096", "-o", out, "--", workload("cpu_split_nofp"), "0.5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = info_json(out);
    const auto samples = info["samples"].get<uint64_t>();
    ASSERT_GT(samples, 300u);
    // Nearly every sample of a user-space spinner lands in user mode with a stack copy.
    EXPECT_GT(info["samples_with_stack"].get<double>(), 0.9 * static_cast<double>(samples));
    const double per_sample = info["stack_bytes"].get<double>() / info["samples_with_stack"].get<double>();
    EXPECT_GT(per_sample, 64);
    EXPECT_LE(per_sample, 4096);
    EXPECT_NE(info["events"][0]["sampling"].get<std::string>().find("dwarf 4096"), std::string::npos);
}

TEST(Record, OutputIsPrivateAndKeepsThePreviousFile) {
    TempDir tmp;
    const std::string out = tmp.path("x.kiln");
    ASSERT_EQ(run({kiln_bin(), "record", "-q", "-o", out, "--", workload("cpu_split_fp"), "0.1"}).exit_code, 0);
    struct stat st{};
    ASSERT_EQ(stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto first_size = st.st_size;
    ASSERT_EQ(run({kiln_bin(), "record", "-q", "-o", out, "--", workload("cpu_split_fp"), "0.1"}).exit_code, 0);
    struct stat old{};
    ASSERT_EQ(stat((out + ".old").c_str(), &old), 0);
    EXPECT_EQ(old.st_size, first_size);
}

TEST(Record, SigintFinishesTheFileAndReachesTheCommand) {
    TempDir tmp;
    const std::string out = tmp.path("int.kiln");
    const std::string pidfile = tmp.path("spinner.pid");
    pid_t kiln = spawn({kiln_bin(), "record", "-o", out, "--", workload("spinner_fp"), "30", pidfile}, tmp.path("err"));
    ASSERT_TRUE(wait_until([&] { return !read_text(pidfile).empty(); })) << read_text(tmp.path("err"));
    const int spinner = std::atoi(read_text(pidfile).c_str());
    // Until the spinner has used a CPU-second, however busy the machine is.
    double spinner_cpu_s = 0;
    EXPECT_TRUE(wait_until([&] { return (spinner_cpu_s = cpu_seconds_of(spinner)) >= 1.0; }));
    kill(kiln, SIGINT);
    int status = wait_for(kiln);
    ASSERT_TRUE(WIFEXITED(status)) << read_text(tmp.path("err"));
    EXPECT_EQ(WEXITSTATUS(status), 0) << read_text(tmp.path("err"));
    auto info = info_json(out);
    EXPECT_TRUE(info["complete"].get<bool>());
    EXPECT_FALSE(info["torn"].get<bool>());
    // One sample per millisecond of the spinner's CPU time, at least up to the signal.
    EXPECT_GT(info["samples"].get<double>(), 0.75 * 999 * spinner_cpu_s);
    // The command got SIGINT too: its wait status says so.
    const int child_status = info["exit_status"].get<int>();
    EXPECT_TRUE(WIFSIGNALED(child_status) && WTERMSIG(child_status) == SIGINT) << child_status;
}

TEST(Record, SigkillLeavesAReadableFile) {
    TempDir tmp;
    const std::string out = tmp.path("killed.kiln");
    pid_t kiln = spawn({kiln_bin(), "record", "-o", out, "--", workload("spinner_fp"), "30"}, tmp.path("err"));
    // Chunks are flushed every second while kiln runs (a chunk buffer holds ~20 s of these
    // samples, so without the flush nothing would be on disk): wait until the file being
    // written shows 500 samples, then kill kiln and the spinner (one process group).
    const uint64_t on_disk = kill_when_on_disk(kiln, out, 500, tmp.path("err"));
    auto r = run({kiln_bin(), "info", "--json", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = nlohmann::json::parse(r.out);
    EXPECT_FALSE(info["complete"].get<bool>());
    // What was on disk before the kill is still there.
    EXPECT_GE(info["samples"].get<uint64_t>(), on_disk);
    EXPECT_GE(info["samples"].get<uint64_t>(), 500u);
    EXPECT_NE(r.err.find("no end summary"), std::string::npos) << r.err;
}

// The debuginfod client drags libcurl, GnuTLS, Kerberos and LDAP in; loading them cost the
// recorder ~10 ms of CPU at every start. It is dlopen'ed by the analyzer when a fetch needs it.
TEST(Record, KilnDoesNotLinkTheDebuginfodClient) {
    RunResult r = run({"/usr/bin/ldd", kiln_bin()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_NE(r.out.find("libc.so"), std::string::npos) << r.out;
    for (const char* lib : {"libdebuginfod", "libcurl", "libgnutls", "libkrb5"})
        EXPECT_EQ(r.out.find(lib), std::string::npos) << lib << " is linked:\n" << r.out;
}

namespace {

// The raw payload of the first chunk of this type in a recording (empty when it has none).
std::vector<uint8_t> chunk_of(const std::string& path, kiln::format::ChunkType type) {
    auto r = kiln::format::RecordingReader::open(path);
    EXPECT_TRUE(r.ok()) << path;
    if (!r.ok()) return {};
    for (;;) {
        auto c = (*r)->next();
        if (!c.ok() || !c->has_value()) return {};
        if ((*c)->type == type) return {(*c)->data.begin(), (*c)->data.end()};
    }
}

// The whole kernel-symbol table a recording refers to: its KALLSYMS_REF's size and hash (4.3,
// with a cache), or those of its whole KALLSYMS_FOLDED chunk (without one).
std::pair<uint64_t, uint64_t> kernel_symbol_table(const std::string& path) {
    const auto ref_bytes = chunk_of(path, kiln::format::ChunkType::kKallsymsRef);
    if (!ref_bytes.empty()) {
        auto ref = kiln::format::decode_kallsyms_ref(ref_bytes);
        EXPECT_TRUE(ref.ok()) << path;
        return ref.ok() ? std::pair{ref->raw_size, ref->raw_hash} : std::pair<uint64_t, uint64_t>{};
    }
    const auto whole = chunk_of(path, kiln::format::ChunkType::kKallsymsFolded);
    return {whole.size(), kiln::recorder::sideband::payload_hash(whole)};
}

uint64_t kernel_text_start(const std::string& path) {
    auto image = kiln::format::decode_kernel_image(chunk_of(path, kiln::format::ChunkType::kKernelInfo));
    EXPECT_TRUE(image.ok()) << path;
    return image.ok() ? image->text_start : 0;
}

// The cache file's header: magic, level, reserved, raw size, raw hash, generation, then the
// kernel's text range (compressed_payload_cache.cpp).
constexpr std::streamoff kCachedTextStartOffset = 8 + 4 + 4 + 8 + 8 + 8;

void overwrite_u64(const std::string& file, std::streamoff offset, uint64_t value) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    f.write(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace

// The kernel symbols' compressed table is kept in KILN_CACHE_DIR between recordings, and a
// recording refers to it (KALLSYMS_REF). While nothing that changes /proc/kallsyms happened (no
// reboot, module or BPF program), the next recording takes it without reading /proc/kallsyms: a
// text range planted in the cache shows up in the recording. Once a BPF program is loaded, or
// after the cache was torn, /proc/kallsyms is read again; with the cache turned off the whole
// table is in the recording; and every recording refers to the same symbols.
TEST(Record, KernelSymbolsThroughTheCompressedCache) {
    TempDir dir;
    const std::string cache_dir = dir.path("cache"), cache = cache_dir + "/kernel-symbols.zst";
    auto record = [&](const std::string& out) {
        auto r = run({kiln_bin(), "record", "-q", "-a", "-d", "0.1", "-o", out});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return kernel_symbol_table(out);
    };
    setenv("KILN_CACHE_DIR", cache_dir.c_str(), 1);
    const auto first = record(dir.path("1.kiln"));
    ASSERT_GT(first.first, 100000u) << "this kernel's symbols";
    EXPECT_TRUE(chunk_of(dir.path("1.kiln"), kiln::format::ChunkType::kKallsymsFolded).empty()) << "not the whole table";
    ASSERT_TRUE(std::filesystem::exists(cache));
    const uint64_t text_start = kernel_text_start(dir.path("1.kiln"));
    ASSERT_NE(text_start, 0u);
    const auto cached_size = std::filesystem::file_size(cache);

    const uint64_t planted = text_start + 0x1000;
    overwrite_u64(cache, kCachedTextStartOffset, planted);
    EXPECT_EQ(record(dir.path("2.kiln")), first);
    EXPECT_EQ(kernel_text_start(dir.path("2.kiln")), planted) << "taken from the cache, /proc/kallsyms not read";

    const int prog = kiln::test::load_tiny_bpf_program();
    ASSERT_GE(prog, 0) << "BPF_PROG_LOAD: " << std::strerror(errno);
    // Not compared with the first: with net.core.bpf_jit_kallsyms=1 the program is a symbol.
    EXPECT_GT(record(dir.path("3.kiln")).first, 100000u);
    ::close(prog);
    EXPECT_EQ(kernel_text_start(dir.path("3.kiln")), text_start) << "a BPF program came: /proc/kallsyms read again";

    std::filesystem::resize_file(cache, cached_size / 2);
    EXPECT_EQ(record(dir.path("4.kiln")), first) << "a torn cache is compressed again";
    EXPECT_EQ(std::filesystem::file_size(cache), cached_size) << "and replaced";
    EXPECT_EQ(kernel_text_start(dir.path("4.kiln")), text_start);
    setenv("KILN_CACHE_DIR", "", 1);
    EXPECT_EQ(record(dir.path("5.kiln")), first) << "no cache";
    EXPECT_FALSE(chunk_of(dir.path("5.kiln"), kiln::format::ChunkType::kKallsymsFolded).empty()) << "the whole table";
    EXPECT_EQ(kernel_text_start(dir.path("5.kiln")), text_start);
    unsetenv("KILN_CACHE_DIR");
}
