// The kernel symbols' cache between recordings: the compressed payload file and the
// generation of /proc/kallsyms that lets a recorder skip reading it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "recorder/sideband/compressed_payload_cache.h"
#include "recorder/sideband/kernel_symbols_generation.h"
#include "tests/tiny_bpf_program.h"

using namespace kiln::recorder;

namespace {

std::vector<uint8_t> some_payload() {
    std::vector<uint8_t> raw(300000);
    for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
    return raw;
}

std::vector<uint8_t> zstd_frame(const std::vector<uint8_t>& raw) {
    std::vector<uint8_t> frame(ZSTD_compressBound(raw.size()));
    frame.resize(ZSTD_compress(frame.data(), frame.size(), raw.data(), raw.size(), 1));
    return frame;
}

sideband::CachedPayloadInfo info_of(const std::vector<uint8_t>& raw, uint64_t generation = 0) {
    return {raw.size(), sideband::payload_hash(raw), 1, generation, {0xffffffff81000000, 0xffffffff82000000}};
}


}  // namespace

// A hit only for the very payload and level it holds, never for a file that is torn, foreign
// or writable by others.
TEST(CompressedPayloadCache, HitsOnlyTheSamePayloadAndLevel) {
    char tmpl[] = "/tmp/kiln_cache_XXXXXX";
    const std::string dir = std::string(mkdtemp(tmpl)) + "/nested/kiln";
    const sideband::CompressedPayloadCache cache(dir + "/kernel-symbols.zst");
    const auto raw = some_payload();
    EXPECT_FALSE(cache.find(raw, 1)) << "nothing stored yet";
    const auto frame = zstd_frame(raw);
    ASSERT_TRUE(cache.store(info_of(raw), frame));
    struct stat st{};
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(stat(cache.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    auto hit = cache.find(raw, 1);
    ASSERT_TRUE(hit);
    EXPECT_TRUE(std::ranges::equal(*hit, frame));
    EXPECT_FALSE(cache.find(raw, 3)) << "another level";
    auto changed = raw;
    changed[raw.size() / 2] ^= 1;
    EXPECT_FALSE(cache.find(changed, 1)) << "one bit changed";
    changed = raw;
    changed.push_back(0);
    EXPECT_FALSE(cache.find(changed, 1)) << "one byte longer";
    EXPECT_NE(sideband::payload_hash(raw), sideband::payload_hash(std::span(raw).subspan(1)));

    ASSERT_EQ(chmod(cache.path().c_str(), 0620), 0);
    EXPECT_FALSE(cache.find(raw, 1)) << "group-writable";
    ASSERT_EQ(chmod(cache.path().c_str(), 0600), 0);
    if (geteuid() == 0) {
        ASSERT_EQ(chown(cache.path().c_str(), 65534, 65534), 0);
        EXPECT_FALSE(cache.find(raw, 1)) << "another user's file";
        ASSERT_EQ(chown(cache.path().c_str(), 0, 0), 0);
    }
    ASSERT_TRUE(cache.find(raw, 1));
    // Every truncation, and a flipped byte in the frame, is a miss.
    std::vector<uint8_t> file;
    {
        std::ifstream in(cache.path(), std::ios::binary);
        file.assign(std::istreambuf_iterator<char>(in), {});
    }
    for (size_t cut : {size_t{0}, size_t{8}, size_t{63}, size_t{64}, file.size() / 2, file.size() - 1}) {
        std::ofstream(cache.path(), std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(file.data()),
                                                                               static_cast<std::streamsize>(cut));
        EXPECT_FALSE(cache.find(raw, 1)) << "cut at " << cut;
    }
    auto flipped = file;
    flipped[68] ^= 0xff;  // inside the zstd frame header
    std::ofstream(cache.path(), std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(flipped.data()),
                                                                           static_cast<std::streamsize>(flipped.size()));
    EXPECT_FALSE(cache.find(raw, 1)) << "corrupt frame header";
    // A cache that cannot be written says so and leaves nothing behind.
    const sideband::CompressedPayloadCache nowhere("/proc/kiln-no-such-dir/kernel-symbols.zst");
    EXPECT_FALSE(nowhere.store(info_of(raw), frame));
    EXPECT_FALSE(nowhere.find(raw, 1));
    std::filesystem::remove_all(std::string(tmpl));
}

// Found by generation without the payload: only that generation and level, with the facts
// stored beside the frame; generation 0 (unknown) never.
TEST(CompressedPayloadCache, HitsByGenerationWithWhatWasStored) {
    char tmpl[] = "/tmp/kiln_cache_XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const sideband::CompressedPayloadCache cache(dir + "/kernel-symbols.zst");
    const auto raw = some_payload();
    const auto frame = zstd_frame(raw);
    ASSERT_TRUE(cache.store(info_of(raw, 0), frame));
    EXPECT_FALSE(cache.find_generation(0, 1)) << "unknown generation";
    ASSERT_TRUE(cache.store(info_of(raw, 0x1234), frame));
    auto hit = cache.find_generation(0x1234, 1);
    ASSERT_TRUE(hit);
    EXPECT_TRUE(std::ranges::equal(hit->frame, frame));
    EXPECT_EQ(hit->info.raw_size, raw.size());
    EXPECT_EQ(hit->info.raw_hash, sideband::payload_hash(raw));
    EXPECT_EQ(hit->info.source_generation, 0x1234u);
    EXPECT_EQ(hit->info.extra[0], 0xffffffff81000000u);
    EXPECT_EQ(hit->info.extra[1], 0xffffffff82000000u);
    EXPECT_FALSE(cache.find_generation(0x1235, 1)) << "another generation";
    EXPECT_FALSE(cache.find_generation(0x1234, 2)) << "another level";
    EXPECT_TRUE(cache.find(raw, 1)) << "and still by payload";
    // A frame that does not hold raw_size bytes is a miss by generation too.
    auto wrong = info_of(raw, 0x1234);
    wrong.raw_size += 1;
    ASSERT_TRUE(cache.store(wrong, frame));
    EXPECT_FALSE(cache.find_generation(0x1234, 1));
    std::filesystem::remove_all(dir);
}

// A writer killed between writing its temporary and renaming it left PATH.tmp.PID: the next
// store removes those of processes that are gone, not those of running ones.
TEST(CompressedPayloadCache, StoreRemovesTheTemporariesOfDeadWriters) {
    char tmpl[] = "/tmp/kiln_cache_XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const sideband::CompressedPayloadCache cache(dir + "/kernel-symbols.zst");
    const std::string dead = cache.path() + ".tmp.999999999", running = cache.path() + ".tmp.1",
                      other = dir + "/other.zst.tmp.999999999";
    for (const auto& f : {dead, running, other}) std::ofstream(f) << "half";
    const auto raw = some_payload();
    ASSERT_TRUE(cache.store(info_of(raw), zstd_frame(raw)));
    EXPECT_FALSE(std::filesystem::exists(dead));
    EXPECT_TRUE(std::filesystem::exists(running)) << "pid 1 runs";
    EXPECT_TRUE(std::filesystem::exists(other)) << "another cache file's temporary";
    EXPECT_TRUE(cache.find(raw, 1));
    std::filesystem::remove_all(dir);
}

// The generation is the same while nothing that changes /proc/kallsyms happens, and changes
// when a BPF program is loaded and when it is gone. Recording needs root on these machines,
// and root may list BPF objects: the generation must be known there.
TEST(KernelSymbolsGeneration, StableUntilABpfProgramComesOrGoes) {
    ASSERT_EQ(geteuid(), 0u) << "kiln's tests run as root, as recording needs";
    const auto before = sideband::kernel_symbols_generation();
    ASSERT_TRUE(before) << "root could not list BPF programs";
    EXPECT_NE(*before, 0u);
    EXPECT_EQ(sideband::kernel_symbols_generation(), before);
    const int prog = kiln::test::load_tiny_bpf_program();
    ASSERT_GE(prog, 0) << "BPF_PROG_LOAD: " << std::strerror(errno);
    const auto loaded = sideband::kernel_symbols_generation();
    ASSERT_TRUE(loaded);
    EXPECT_NE(*loaded, *before);
    ::close(prog);
    // The program is freed after an RCU grace period: wait for its id to go.
    std::optional<uint64_t> after;
    for (int i = 0; i < 200; ++i) {
        after = sideband::kernel_symbols_generation();
        if (after != loaded) break;
        ::usleep(10000);
    }
    EXPECT_EQ(after, before);
}

// Of /proc/modules only what places symbols counts: name, size, address; not the reference
// count nor the modules using it.
TEST(KernelSymbolsGeneration, ModuleLayoutIgnoresUsers) {
    const std::string a = "nf_tables 364544 12 nft_chain_nat, Live 0xffffffffc0a1e000\n"
                          "x_tables 57344 1 ip_tables, Live 0xffffffffc0400000\n";
    const std::string b = "nf_tables 364544 14 nft_chain_nat,nft_ct, Live 0xffffffffc0a1e000\n"
                          "x_tables 57344 2 ip_tables,nft_compat, Live 0xffffffffc0400000\n";
    const std::string moved = "nf_tables 364544 12 nft_chain_nat, Live 0xffffffffc0a2e000\n"
                              "x_tables 57344 1 ip_tables, Live 0xffffffffc0400000\n";
    EXPECT_EQ(sideband::modules_layout(a), sideband::modules_layout(b));
    EXPECT_NE(sideband::modules_layout(a), sideband::modules_layout(moved));
    EXPECT_NE(sideband::modules_layout(a), sideband::modules_layout(a.substr(0, a.find('\n') + 1)));
    EXPECT_EQ(sideband::modules_layout(a), "nf_tables 364544 0xffffffffc0a1e000 \nx_tables 57344 0xffffffffc0400000 \n");
}
