// `kiln analyze` of a real `-g dwarf` recording whose binary was since replaced, at the
// recorded path, by a copy with one part corrupted (its build-id note kept, so the analyzer
// still takes the file for the recorded binary): .eh_frame, .debug_info, a note section, the
// symbol table, all of them, or the file cut short. The analysis must complete, warn naming the binary, and show
// its frames as `victim+0xOFFSET`, or by name where DWARF or the symbol table survived.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

std::string read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Section name -> [offset, offset + size) in the file, from the section headers (read here
// with <elf.h>, not with the code under test).
std::map<std::string, std::pair<size_t, size_t>> sections(const std::string& elf) {
    std::map<std::string, std::pair<size_t, size_t>> out;
    Elf64_Ehdr eh;
    if (elf.size() < sizeof eh) return out;
    std::memcpy(&eh, elf.data(), sizeof eh);
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff + uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr) > elf.size() ||
        eh.e_shstrndx >= eh.e_shnum)
        return out;
    auto shdr = [&](size_t i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, elf.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
        return sh;
    };
    const Elf64_Shdr names = shdr(eh.e_shstrndx);
    for (size_t i = 1; i < eh.e_shnum; ++i) {
        const Elf64_Shdr sh = shdr(i);
        if (sh.sh_type == SHT_NOBITS || names.sh_offset + sh.sh_name >= elf.size()) continue;
        out[elf.c_str() + names.sh_offset + sh.sh_name] = {sh.sh_offset, sh.sh_size};
    }
    return out;
}

// Overwrites each named section's bytes with a fixed pseudo-random pattern (lengths and
// offsets that point anywhere, as a damaged or hostile file holds).
std::string corrupt(std::string elf, const std::vector<std::string>& names) {
    const auto secs = sections(elf);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (const auto& name : names) {
        auto it = secs.find(name);
        EXPECT_NE(it, secs.end()) << "the workload has no " << name << " section to corrupt";
        if (it == secs.end()) continue;
        const auto [offset, size] = it->second;
        EXPECT_LE(offset + size, elf.size()) << name;
        for (size_t i = offset; i < offset + size && i < elf.size(); ++i) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            elf[i] = static_cast<char>(x);
        }
    }
    return elf;
}

class CorruptBinary : public ::testing::Test {
protected:
    // One recording of a copy of cpu_split_nofp (no frame pointers: its stacks need its CFI).
    static void SetUpTestSuite() {
        tmp_ = new TempDir;
        victim_ = tmp_->path("victim");
        std::filesystem::copy_file(workload("cpu_split_nofp"), victim_);
        pristine_ = read_bytes(victim_);
        recording_ = tmp_->path("v.kiln");
        auto r = run({kiln_bin(), "record", "-F", "999", "-g", "dwarf", "-o", recording_, "--", victim_, "0.5"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    static void TearDownTestSuite() {
        delete tmp_;
        tmp_ = nullptr;
    }

    // Analyzes the recording with the binary at its path holding these bytes.
    RunResult analyze_with(const std::string& bytes) {
        write_bytes(victim_, bytes);
        // Nothing but the recorded path: not perf's build-id cache, not debuginfod.
        ScopedEnv no_perf_cache("PERF_BUILDID_DIR", tmp_->path("no-perf-cache"));
        ScopedEnv no_kiln_cache("KILN_CACHE_DIR", tmp_->path("no-kiln-cache"));  // an intact copy may be there
        ScopedEnv no_debuginfod("DEBUGINFOD_URLS", "");
        return run({kiln_bin(), "analyze", recording_, "--folded", "-"});
    }

    // Every frame of victim's stacks (after the process name) is one of cpu_split's
    // functions, a libc frame, or victim+0xOFFSET; returns how many frames were victim+0x.
    static size_t check_frames(const std::string& folded) {
        static const std::regex offset_frame("victim\\+0x[0-9a-f]+");
        size_t by_offset = 0;
        for (const auto& [stack, value] : parse_folded(folded)) {
            size_t at = stack.find(';');
            if (at == std::string::npos) continue;
            while (at != std::string::npos) {
                const size_t next = stack.find(';', at + 1);
                const std::string frame = stack.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
                at = next;
                if (std::regex_match(frame, offset_frame)) {
                    ++by_offset;
                    continue;
                }
                EXPECT_EQ(frame.find("victim"), std::string::npos) << "a frame of the binary that is neither named nor "
                                                                      "victim+0xOFFSET: "
                                                                   << frame;
            }
            (void)value;
        }
        return by_offset;
    }

    static void expect_completed_with_warning(const RunResult& r) {
        EXPECT_EQ(r.signal, 0) << r.err;
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("warning: "), std::string::npos) << r.err;
        bool named = false;
        std::istringstream lines(r.err);
        for (std::string line; std::getline(lines, line);)
            if (line.find("warning") != std::string::npos && line.find(victim_) != std::string::npos) named = true;
        EXPECT_TRUE(named) << "no warning names " << victim_ << ":\n" << r.err;
        EXPECT_FALSE(parse_folded(r.out).empty()) << r.err;
    }

    static TempDir* tmp_;
    static std::string victim_, pristine_, recording_;
};

TempDir* CorruptBinary::tmp_ = nullptr;
std::string CorruptBinary::victim_, CorruptBinary::pristine_, CorruptBinary::recording_;

// The reference: the intact binary names its functions, unwinds to main and warns of nothing.
TEST_F(CorruptBinary, IntactCopyIsNamedAndUnwound) {
    const RunResult r = analyze_with(pristine_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("main;work;hot_a"), std::string::npos) << r.out;
    EXPECT_EQ(check_frames(r.out), 0u) << r.out;
    EXPECT_EQ(r.err.find(victim_), std::string::npos) << "a warning about the intact binary:\n" << r.err;
}

TEST_F(CorruptBinary, EhFrameCorrupted) {
    const RunResult r = analyze_with(corrupt(pristine_, {".eh_frame"}));
    expect_completed_with_warning(r);
    check_frames(r.out);
    // The symbol table and DWARF survived: the sampled functions are still named.
    EXPECT_NE(r.out.find("hot_a"), std::string::npos) << r.out;
}

TEST_F(CorruptBinary, DebugInfoCorrupted) {
    const RunResult r = analyze_with(corrupt(pristine_, {".debug_info"}));
    expect_completed_with_warning(r);
    check_frames(r.out);
    EXPECT_NE(r.out.find("hot_a"), std::string::npos) << "the symbol table survived:\n" << r.out;
}

TEST_F(CorruptBinary, NoteSectionsCorrupted) {
    // Every note but the build-id, which the analyzer needs to take the file as the binary.
    const RunResult r = analyze_with(corrupt(pristine_, {".note.ABI-tag", ".note.gnu.property"}));
    expect_completed_with_warning(r);
    check_frames(r.out);
    EXPECT_NE(r.out.find("hot_a"), std::string::npos) << r.out;
}

TEST_F(CorruptBinary, SymbolTableCorrupted) {
    const RunResult r = analyze_with(corrupt(pristine_, {".symtab", ".strtab"}));
    expect_completed_with_warning(r);
    check_frames(r.out);
    EXPECT_NE(r.out.find("hot_a"), std::string::npos) << "DWARF survived:\n" << r.out;
}

TEST_F(CorruptBinary, TruncatedCopyShowsOffsets) {
    // Cut after .eh_frame (so the build-id note and the CFI survive): the section headers,
    // symbol tables and DWARF, which come last, are gone.
    const auto secs = sections(pristine_);
    ASSERT_TRUE(secs.count(".eh_frame") && secs.count(".text"));
    const size_t cut = secs.at(".eh_frame").first + secs.at(".eh_frame").second;
    ASSERT_LT(cut, pristine_.size() / 2) << "the layout the test expects";
    const RunResult r = analyze_with(pristine_.substr(0, cut));
    expect_completed_with_warning(r);
    EXPECT_GT(check_frames(r.out), 0u) << "no victim+0xOFFSET frame:\n" << r.out;
    EXPECT_EQ(r.out.find("hot_a"), std::string::npos) << r.out;
}

TEST_F(CorruptBinary, EverythingCorruptedShowsOffsets) {
    const RunResult r = analyze_with(
        corrupt(pristine_, {".eh_frame", ".eh_frame_hdr", ".debug_info", ".debug_abbrev", ".debug_line", ".symtab",
                            ".strtab", ".dynsym", ".dynstr", ".note.ABI-tag"}));
    expect_completed_with_warning(r);
    EXPECT_GT(check_frames(r.out), 0u) << "no victim+0xOFFSET frame:\n" << r.out;
    EXPECT_EQ(r.out.find("hot_a"), std::string::npos) << r.out;
}

}  // namespace
