// The kernel's symbols in a recording (4.3): with kiln's cache, a recording keeps only the
// symbols its samples hit (KALLSYMS_TOUCHED) and a reference to the whole table, which stays in
// the cache. A system-wide recording of syscall_heavy (most of its time in the kernel) names
// every kernel frame from those symbols alone, exactly as from the whole table; a recorder
// killed before the file's end leaves a file whose kernel frames are named from the cache on the
// same machine, and a warning elsewhere.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "formats/kiln_format.h"
#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

// A copy of a recording without its chunks of one type (byte for byte otherwise).
void copy_without(const std::string& from, const std::string& to, kiln::format::ChunkType dropped) {
    std::ifstream in(from, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string out = bytes.substr(0, sizeof(kiln::format::FilePreamble));
    for (size_t at = out.size(); at + sizeof(kiln::format::ChunkHeader) <= bytes.size();) {
        kiln::format::ChunkHeader h;
        std::memcpy(&h, bytes.data() + at, sizeof h);
        ASSERT_EQ(h.sync, kiln::format::kChunkSync) << "at byte " << at;
        const size_t end = at + sizeof h + h.payload_size;
        ASSERT_LE(end, bytes.size());
        if (h.type != static_cast<uint16_t>(dropped)) out += bytes.substr(at, end - at);
        at = end;
    }
    std::ofstream(to, std::ios::binary) << out;
}

// Kernel frames of a folded profile: named ones, and those shown as [kernel]+0x... or
// [module]+0x... (no symbol).
struct KernelFrames {
    double named = 0, unnamed = 0;
};
KernelFrames kernel_frames(const std::string& folded) {
    KernelFrames k;
    for (const auto& [stack, n] : parse_folded(folded)) {
        size_t at = 0;
        for (size_t semi; at != std::string::npos; at = semi == std::string::npos ? semi : semi + 1) {
            semi = stack.find(';', at);
            const std::string frame = stack.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
            if (frame.size() < 4 || frame.compare(frame.size() - 4, 4, "_[k]") != 0) continue;
            (frame[0] == '[' ? k.unnamed : k.named) += n;
        }
    }
    return k;
}

// The lines of one folded profile that the other lacks, each marked with its side: empty when
// they agree, and short enough to be read whole in a failure's message when they do not.
std::string differing_lines(const std::string& left, const std::string& right) {
    const auto lines = [](const std::string& text) {
        std::multiset<std::string> out;
        for (size_t at = 0; at < text.size();) {
            size_t nl = text.find('\n', at);
            if (nl == std::string::npos) nl = text.size();
            out.insert(text.substr(at, nl - at));
            at = nl + 1;
        }
        return out;
    };
    const auto a = lines(left), b = lines(right);
    std::string out;
    for (const auto& l : a) if (!b.count(l)) out += "< " + l + "\n";
    for (const auto& l : b) if (!a.count(l)) out += "> " + l + "\n";
    return out;
}

RunResult folded(const std::string& rec) { return run_kiln({"analyze", rec, "--folded", "-"}); }

}  // namespace

TEST(KernelSymbols, ARecordingKeepsTheSymbolsItsSamplesHitAndNamesFramesAsTheWholeTableWould) {
    TempDir tmp;
    ScopedEnv cache("KILN_CACHE_DIR", tmp.path("cache"));
    const std::string rec = tmp.path("k.kiln");
    auto r = run_kiln({"record", "-q", "-a", "-g", "fp", "-F", "999", "-o", rec, "--", workload("syscall_heavy_fp"), "0.5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto info = info_json(rec);
    EXPECT_FALSE(info["kernel_symbols_whole"].get<bool>()) << info.dump(1);
    const auto kept = info["kernel_symbols"].get<uint64_t>();
    EXPECT_GT(kept, 10u) << "the read path's symbols at least";
    EXPECT_LT(kept, 20000u) << "a part of the kernel's 100k+ symbols";

    // The same recording analyzed with the symbols it kept, and, with them taken out, with the
    // whole table its reference finds in the cache: the same profile.
    auto with_kept = folded(rec);
    ASSERT_EQ(with_kept.exit_code, 0) << with_kept.err;
    copy_without(rec, tmp.path("whole.kiln"), kiln::format::ChunkType::kKallsymsTouched);
    auto with_whole = folded(tmp.path("whole.kiln"));
    ASSERT_EQ(with_whole.exit_code, 0) << with_whole.err;
    EXPECT_EQ(differing_lines(with_kept.out, with_whole.out), "") << "< with the kept symbols, > with the whole table";
    const KernelFrames k = kernel_frames(with_kept.out);
    EXPECT_GT(k.named, 0) << with_kept.out.substr(0, 2000);
    EXPECT_EQ(k.unnamed, 0) << with_kept.out.substr(0, 2000);

    // Elsewhere (no cache), the kept symbols still name every frame; the file without them
    // names none, and says why.
    ScopedEnv elsewhere("KILN_CACHE_DIR", tmp.path("other-machine"));
    auto there = folded(rec);
    EXPECT_EQ(differing_lines(there.out, with_kept.out), "") << "< elsewhere, > here";
    auto without = folded(tmp.path("whole.kiln"));
    ASSERT_EQ(without.exit_code, 0) << without.err;
    EXPECT_EQ(kernel_frames(without.out).named, 0);
    EXPECT_NE(without.err.find("kernel frames are not named"), std::string::npos) << without.err;
}

TEST(KernelSymbols, AKilledRecorderLeavesKernelFramesNamedFromTheCache) {
    TempDir tmp;
    ScopedEnv cache("KILN_CACHE_DIR", tmp.path("cache"));
    const std::string out = tmp.path("killed.kiln");
    pid_t kiln = spawn({kiln_bin(), "record", "-g", "fp", "-o", out, "--", workload("syscall_heavy_fp"), "30"}, tmp.path("err"));
    kill_when_on_disk(kiln, out, 300, tmp.path("err"));
    auto r = folded(out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const KernelFrames k = kernel_frames(r.out);
    EXPECT_GT(k.named, 0) << r.err << r.out.substr(0, 2000);
    EXPECT_EQ(k.unnamed, 0) << r.out.substr(0, 2000);
}
