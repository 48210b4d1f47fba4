// Sideband collection against this machine's /proc and /sys, and the parsers behind it fed
// fixed text.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "recorder/sideband/kallsyms.h"
#include "recorder/sideband/kernel_modules.h"
#include "recorder/sideband/note_parser.h"
#include "recorder/sideband/proc_maps.h"
#include "recorder/sideband/sideband_collect.h"
#include "tests/temp_dir.h"

using namespace kiln;
using namespace kiln::recorder;
namespace fs = std::filesystem;

namespace {

// A pid above the largest pid_max (2^22): never a process.
constexpr int kNoSuchPid = 1 << 30;


std::string self_exe() {
    std::error_code ec;
    return fs::read_symlink("/proc/self/exe", ec).string();
}

// A thread that lives, with a known name, until the test ends it.
class NamedThread {
public:
    explicit NamedThread(const char* name) {
        thread_ = std::thread([this, name] {
            pthread_setname_np(pthread_self(), name);
            std::unique_lock lock(mu_);
            tid_ = static_cast<int>(::syscall(SYS_gettid));
            cv_.notify_all();
            cv_.wait(lock, [this] { return stop_; });
        });
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return tid_ != 0; });
    }
    ~NamedThread() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    int tid() const { return tid_; }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    int tid_ = 0;
    std::thread thread_;
};

}  // namespace

using kiln::test::TempDir;

TEST(ProcMaps, ParsesFileBackedLine) {
    auto m = sideband::parse_maps_line(
        "7f1c2a3b4000-7f1c2a3d6000 r-xp 00028000 fd:01 1311008                    /usr/lib/x86_64-linux-gnu/libc.so.6");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->entry.start, 0x7f1c2a3b4000u);
    EXPECT_EQ(m->entry.end, 0x7f1c2a3d6000u);
    EXPECT_EQ(m->entry.pgoff, 0x28000u);
    EXPECT_EQ(m->entry.prot, static_cast<uint32_t>(PROT_READ | PROT_EXEC));
    EXPECT_EQ(m->entry.flags, static_cast<uint32_t>(MAP_PRIVATE));
    EXPECT_EQ(m->entry.dev_major, 0xfdu);
    EXPECT_EQ(m->entry.dev_minor, 1u);
    EXPECT_EQ(m->entry.inode, 1311008u);
    EXPECT_EQ(m->entry.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    EXPECT_FALSE(m->deleted);
}

TEST(ProcMaps, ParsesAnonymousSpecialSharedAndDeleted) {
    auto anon = sideband::parse_maps_line("7ffd1000-7ffd3000 rw-p 00000000 00:00 0 ");
    ASSERT_TRUE(anon);
    EXPECT_EQ(anon->entry.path, "");
    EXPECT_EQ(anon->entry.inode, 0u);
    EXPECT_EQ(anon->entry.prot, static_cast<uint32_t>(PROT_READ | PROT_WRITE));

    auto stack = sideband::parse_maps_line("7ffd1000-7ffd3000 rw-p 00000000 00:00 0          [stack]");
    ASSERT_TRUE(stack);
    EXPECT_EQ(stack->entry.path, "[stack]");

    auto shared = sideband::parse_maps_line("1000-2000 rw-s 00000000 00:05 77 /dev/shm/my file");
    ASSERT_TRUE(shared);
    EXPECT_EQ(shared->entry.flags, static_cast<uint32_t>(MAP_SHARED));
    EXPECT_EQ(shared->entry.path, "/dev/shm/my file");

    auto deleted = sideband::parse_maps_line("1000-2000 r-xp 00000000 08:02 42 /opt/app/lib.so (deleted)");
    ASSERT_TRUE(deleted);
    EXPECT_EQ(deleted->entry.path, "/opt/app/lib.so");
    EXPECT_TRUE(deleted->deleted);

    auto none = sideband::parse_maps_line("1000-2000 ---p 00000000 00:00 0");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->entry.prot, 0u);
}

TEST(ProcMaps, RejectsMalformedLines) {
    for (const char* bad :
         {"", "zz-1000 r-xp 0 00:00 0", "2000-1000 r-xp 0 00:00 0", "1000-2000 r-x 0 00:00 0",
          "1000-2000 r-xq 0 00:00 0", "1000-2000 r-xp 0 0000 0", "1000-2000 r-xp 0 00:00 x", "1000-2000 r-xp 0 00:00"})
        EXPECT_FALSE(sideband::parse_maps_line(bad)) << bad;
    auto all = sideband::parse_maps("1000-2000 r-xp 0 00:00 0\nnot a line\n");
    ASSERT_FALSE(all.ok());
    EXPECT_NE(all.error().message.find("line 2"), std::string::npos) << all.error().message;
}

TEST(ProcessSnapshot, FindsOwnBinaryWithItsBuildId) {
    auto self = snapshot_process(::getpid());
    ASSERT_TRUE(self.ok()) << self.error().message;
    const std::string exe = self_exe();
    EXPECT_EQ(self->pid, ::getpid());
    EXPECT_EQ(self->ppid, ::getppid());
    EXPECT_EQ(self->exe, exe);
    EXPECT_FALSE(self->comm.empty());
    ASSERT_FALSE(self->cmdline.empty());

    auto expected = read_build_id("/proc/self/exe");
    ASSERT_TRUE(expected.ok()) << expected.error().message;
    ASSERT_EQ(expected->size(), 20u);

    bool found_exec = false;
    for (const auto& m : self->maps) {
        if (m.path != exe) continue;
        EXPECT_EQ(m.build_id, *expected) << "mapping at " << std::hex << m.start;
        if (m.prot & PROT_EXEC) found_exec = true;
    }
    EXPECT_TRUE(found_exec) << "no executable mapping of " << exe;
    // Anonymous and special mappings carry no build-id.
    for (const auto& m : self->maps) {
        if (m.path.empty() || m.path[0] == '[') {
            EXPECT_TRUE(m.build_id.empty()) << m.path;
        }
    }
}

TEST(ProcessSnapshot, FindsOwnThreads) {
    NamedThread worker("kiln-sb-worker");
    auto self = snapshot_process(::getpid());
    ASSERT_TRUE(self.ok()) << self.error().message;
    ASSERT_GE(self->tids.size(), 2u);
    ASSERT_EQ(self->tids.size(), self->thread_comms.size());
    auto it = std::find(self->tids.begin(), self->tids.end(), worker.tid());
    ASSERT_NE(it, self->tids.end());
    EXPECT_EQ(self->thread_comms[static_cast<size_t>(it - self->tids.begin())], "kiln-sb-worker");
    EXPECT_NE(std::find(self->tids.begin(), self->tids.end(), ::getpid()), self->tids.end());
}

// The name is read from /proc/PID/stat, where it sits in parentheses and may hold both.
TEST(ProcessSnapshot, NameWithParenthesesAndSpacesComesThroughWhole) {
    constexpr const char* kName = "a) (b c) d";
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::prctl(PR_SET_NAME, kName);
        (void)!::write(ready[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    auto snap = snapshot_process(child);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    EXPECT_EQ(snap->comm, kName);
    EXPECT_EQ(snap->ppid, ::getpid());
    ASSERT_EQ(snap->tids, std::vector<int>{child});
    EXPECT_EQ(snap->thread_comms, std::vector<std::string>{kName});
}

TEST(ProcessSnapshot, MissingPidIsAnErrorNamingIt) {
    auto r = snapshot_process(kNoSuchPid);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(std::to_string(kNoSuchPid)), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("no such process"), std::string::npos) << r.error().message;
}

TEST(ProcessSnapshot, SeveralProcessesSkipTheGoneOnes) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    auto snap = snapshot_processes({::getpid(), kNoSuchPid, child});
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    EXPECT_GT(snap->time_ns, 0u);
    ASSERT_EQ(snap->processes.size(), 2u);
    EXPECT_EQ(snap->processes[0].pid, ::getpid());
    EXPECT_EQ(snap->processes[1].pid, child);
    EXPECT_EQ(snap->processes[1].ppid, ::getpid());
    EXPECT_EQ(snap->processes[1].exe, snap->processes[0].exe);
}

TEST(ProcessSnapshot, AllProcessesIncludesUs) {
    std::vector<std::string> skipped;
    auto snap = snapshot_all_processes(&skipped);
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    bool found = false;
    for (const auto& p : snap->processes) found |= p.pid == ::getpid();
    EXPECT_TRUE(found);
    EXPECT_GE(snap->processes.size(), 1u);
    // The snapshot must be encodable as one chunk payload.
    auto bytes = format::encode(*snap);
    auto back = format::decode_process_snapshot(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->processes.size(), snap->processes.size());
}

TEST(BuildId, SelfIsTwentyBytes) {
    auto id = read_build_id("/proc/self/exe");
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_EQ(id->size(), 20u);
    auto again = read_build_id(self_exe());
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, *id);
}

TEST(BuildId, ErrorsNameThePath) {
    TempDir dir;
    ASSERT_FALSE(dir.dir().empty());
    const std::string text = dir.write("not-elf.txt", "hello, world\n");
    const std::string missing = dir.dir() + "/missing";
    for (const std::string& path : {text, missing, dir.dir(), std::string("/dev/null")}) {
        auto r = read_build_id(path);
        ASSERT_FALSE(r.ok()) << path;
        EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
    }
}

TEST(NoteParser, FindsGnuBuildIdAmongOtherNotes) {
    auto put32 = [](std::vector<uint8_t>& b, uint32_t v) {
        uint8_t raw[4];
        std::memcpy(raw, &v, 4);
        b.insert(b.end(), raw, raw + 4);
    };
    std::vector<uint8_t> notes;
    // "Linux" note, type 6, 1-byte desc (padded).
    put32(notes, 6);
    put32(notes, 1);
    put32(notes, 6);
    for (char c : std::string("Linux\0\0\0", 8)) notes.push_back(static_cast<uint8_t>(c));
    notes.insert(notes.end(), {0x01, 0, 0, 0});
    // GNU build-id, 20 bytes.
    put32(notes, 4);
    put32(notes, 20);
    put32(notes, 3);
    notes.insert(notes.end(), {'G', 'N', 'U', 0});
    for (uint8_t i = 0; i < 20; ++i) notes.push_back(i);

    auto id = sideband::find_gnu_build_id(notes);
    ASSERT_TRUE(id);
    ASSERT_EQ(id->size(), 20u);
    EXPECT_EQ((*id)[19], 19);
    // Every truncation either still finds nothing or fails cleanly; never reads past the end.
    for (size_t len = 0; len < notes.size(); ++len) {
        std::vector<uint8_t> cut(notes.begin(), notes.begin() + static_cast<ptrdiff_t>(len));
        EXPECT_FALSE(sideband::find_gnu_build_id(cut)) << len;
    }
    // A huge descsz is refused.
    std::vector<uint8_t> hostile;
    put32(hostile, 4);
    put32(hostile, 0xffffffff);
    put32(hostile, 3);
    hostile.insert(hostile.end(), {'G', 'N', 'U', 0});
    EXPECT_FALSE(sideband::find_gnu_build_id(hostile));
}

TEST(Kallsyms, ParsesLines) {
    auto a = sideband::parse_kallsyms_line("ffffffff81000000 T _stext");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->address, 0xffffffff81000000u);
    EXPECT_EQ(a->type, 'T');
    EXPECT_EQ(a->name, "_stext");
    EXPECT_EQ(a->module, "");
    auto b = sideband::parse_kallsyms_line("ffffffffc0a01000 t nft_do_chain\t[nf_tables]");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "nft_do_chain");
    EXPECT_EQ(b->module, "nf_tables");
    EXPECT_FALSE(sideband::parse_kallsyms_line("nothex T x"));
    EXPECT_FALSE(sideband::parse_kallsyms_line("ffff T"));
    EXPECT_FALSE(sideband::parse_kallsyms_line(""));
    auto upper = sideband::parse_kallsyms_line("FFFFFFFF8100ABCD W Upper");
    ASSERT_TRUE(upper);
    EXPECT_EQ(upper->address, 0xffffffff8100abcdu);
    EXPECT_EQ(upper->type, 'W');
    EXPECT_FALSE(sideband::parse_kallsyms_line("1ffffffff81000000 T seventeen_digits"));
    EXPECT_FALSE(sideband::parse_kallsyms_line("ffffz000 T x"));
    EXPECT_FALSE(sideband::parse_kallsyms_line("ffff TT x"));
    EXPECT_FALSE(sideband::parse_kallsyms_line("ffff T \t[mod]"));
    auto bad_module = sideband::parse_kallsyms_line("ffff t f\tmod");
    ASSERT_TRUE(bad_module);
    EXPECT_EQ(bad_module->module, "mod");
}

// 16-digit addresses (every 64-bit kernel's) are read 16 digits at a time: any digit in
// either case at any place gives its value, and anything else at any place is refused.
TEST(Kallsyms, SixteenDigitAddressesAtEveryPlace) {
    uint64_t x = 0x9e3779b97f4a7c15;
    for (int n = 0; n < 2000; ++n) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        char hex[17];
        std::snprintf(hex, sizeof hex, n % 2 ? "%016llX" : "%016llx", static_cast<unsigned long long>(x));
        const std::string line = std::string(hex) + " t name_" + std::to_string(n);  // sym points into it
        auto sym = sideband::parse_kallsyms_line(line);
        ASSERT_TRUE(sym) << hex;
        EXPECT_EQ(sym->address, x) << hex;
        EXPECT_EQ(sym->name, "name_" + std::to_string(n));
    }
    for (int place = 0; place < 16; ++place) {
        for (char bad : {'g', 'G', '/', ':', '@', '`', 'z', '-', '\t', '\x80', '\xe6'}) {
            std::string line = "ffffffff81000000 T _stext";
            line[static_cast<size_t>(place)] = bad;
            EXPECT_FALSE(sideband::parse_kallsyms_line(line)) << "place " << place << " byte " << int(bad);
        }
        std::string shorter = "ffffffff81000000 T a_name_long_enough";
        shorter[static_cast<size_t>(place)] = ' ';  // fewer digits, then a space: not 16 at a time
        auto sym = sideband::parse_kallsyms_line(shorter);
        if (place == 0) {
            EXPECT_FALSE(sym);
        } else if (sym) {
            EXPECT_EQ(sym->address, 0xffffffff81000000u >> (4 * (16 - place))) << shorter;
        }
    }
}

TEST(Kallsyms, KeepsTextSymbolsSorted) {
    TempDir dir;
    const std::string file = dir.write("kallsyms",
                                       "ffffffff82000000 T later\n"
                                       "ffffffff81000000 T _stext\n"
                                       "ffffffff81800000 D some_data\n"
                                       "ffffffff81000100 t local_fn\n"
                                       "ffffffff81000200 W weak_fn\n"
                                       "0000000000000000 A fixed_percpu_data\n"
                                       "ffffffffc0001000 t mod_fn\t[mymod]\n");
    auto syms = read_kallsyms(file);
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    ASSERT_EQ(syms->symbols.size(), 5u);
    EXPECT_EQ(syms->symbols[0].name, "_stext");
    EXPECT_EQ(syms->symbols[1].name, "local_fn");
    EXPECT_EQ(syms->symbols[2].name, "weak_fn");
    EXPECT_EQ(syms->symbols[3].name, "later");
    EXPECT_EQ(syms->symbols[4].name, "mod_fn");
    EXPECT_EQ(syms->symbols[4].module, "mymod");
}

// This kernel's whole symbol list, through the folded encoding and back, against a plain
// parse of the same bytes: nothing lost, renamed or moved (57k "__pfx_" symbols fold on 6.x).
TEST(Kallsyms, ThisKernelsSymbolsSurviveFoldingExactly) {
    TempDir dir;
    const std::string file = dir.dir() + "/kallsyms";
    ASSERT_EQ(std::system(("cat /proc/kallsyms > " + file).c_str()), 0);
    std::vector<format::KernelSymbol> expected;
    std::ifstream in(file);
    size_t prefixes = 0;
    for (std::string line; std::getline(in, line);) {
        const size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 + 1), tab = line.find('\t');
        ASSERT_NE(sp2, std::string::npos) << line;
        format::KernelSymbol sym;
        sym.address = std::stoull(line.substr(0, sp1), nullptr, 16);
        sym.type = line[sp1 + 1];
        sym.name = line.substr(sp2 + 1, tab == std::string::npos ? std::string::npos : tab - sp2 - 1);
        if (tab != std::string::npos) sym.module = line.substr(tab + 2, line.size() - tab - 3);  // "\t[mod]"
        if (sym.address == 0 || !sideband::is_text_symbol_type(sym.type)) continue;
        prefixes += sym.name.rfind("__pfx_", 0) == 0;
        expected.push_back(sym);
    }
    ASSERT_GT(expected.size(), 1000u);
    std::stable_sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.address < b.address; });
    auto payload = read_kallsyms_payload(file);
    ASSERT_TRUE(payload.ok()) << payload.error().message;
    EXPECT_EQ(payload->count, expected.size());
    auto syms = read_kallsyms(file);
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    ASSERT_EQ(syms->symbols.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const auto& got = syms->symbols[i];
        ASSERT_TRUE(got.address == expected[i].address && got.type == expected[i].type && got.name == expected[i].name &&
                    got.module == expected[i].module)
            << i << ": got " << std::hex << got.address << " " << got.type << " " << got.name << " [" << got.module
            << "], expected " << expected[i].address << " " << expected[i].type << " " << expected[i].name << " ["
            << expected[i].module << "]";
    }
    // Kernels with function padding: the folded payload is well under the symbols' text.
    if (prefixes > expected.size() / 4) {
        size_t text = 0;
        for (const auto& sym : expected) text += sym.name.size() + sym.module.size() + 4;
        EXPECT_LT(payload->payload.size(), text * 2 / 3) << prefixes << " prefixes";
    }
}

TEST(Kallsyms, HiddenAddressesNameKptrRestrict) {
    TempDir dir;
    const std::string file = dir.write("kallsyms",
                                       "0000000000000000 T _stext\n"
                                       "0000000000000000 t foo\t[bar]\n");
    auto syms = read_kallsyms(file);
    ASSERT_FALSE(syms.ok());
    EXPECT_NE(syms.error().message.find("/proc/sys/kernel/kptr_restrict"), std::string::npos) << syms.error().message;
    auto missing = read_kallsyms(dir.dir() + "/nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find(dir.dir() + "/nope"), std::string::npos);
}

TEST(Kallsyms, ReadsThisKernel) {
    auto syms = read_kallsyms();
    if (!syms.ok() && syms.error().message.find("kptr_restrict") != std::string::npos)
        GTEST_SKIP() << syms.error().message;
    ASSERT_TRUE(syms.ok()) << syms.error().message;
    EXPECT_GT(syms->symbols.size(), 1000u);
    EXPECT_TRUE(std::is_sorted(syms->symbols.begin(), syms->symbols.end(),
                               [](const auto& a, const auto& b) { return a.address < b.address; }));
    bool schedule = false;
    for (const auto& s : syms->symbols) schedule |= s.name == "schedule" && s.module.empty();
    EXPECT_TRUE(schedule);
}

TEST(KernelImage, ReleaseBuildIdAndTextRange) {
    utsname u{};
    ASSERT_EQ(::uname(&u), 0);
    auto image = read_kernel_image();
    ASSERT_TRUE(image.ok()) << image.error().message;
    EXPECT_EQ(image->release, u.release);
    if (fs::exists("/sys/kernel/notes")) {
        EXPECT_EQ(image->build_id.size(), 20u);
    }

    auto syms = read_kallsyms_payload();
    if (!syms.ok()) GTEST_SKIP() << syms.error().message;
    auto from_syms = read_kernel_image(*syms);
    ASSERT_TRUE(from_syms.ok()) << from_syms.error().message;
    EXPECT_NE(from_syms->text_start, 0u);
    EXPECT_LT(from_syms->text_start, from_syms->text_end);
    EXPECT_EQ(from_syms->text_start, image->text_start);
    EXPECT_EQ(from_syms->text_end, image->text_end);
    EXPECT_EQ(from_syms->build_id, image->build_id);
}

TEST(KernelModules, ParsesProcModules) {
    auto mods = sideband::parse_modules(
        "nf_tables 344064 0 - Live 0xffffffffc0b2d000\n"
        "ext4 1007616 1 mbcache,jbd2, Live 0xffffffffc0400000 (E)\n");
    ASSERT_TRUE(mods.ok()) << mods.error().message;
    ASSERT_EQ(mods->modules.size(), 2u);
    EXPECT_EQ(mods->modules[0].name, "nf_tables");
    EXPECT_EQ(mods->modules[0].size, 344064u);
    EXPECT_EQ(mods->modules[0].base, 0xffffffffc0b2d000u);
    EXPECT_EQ(mods->modules[1].name, "ext4");
    EXPECT_EQ(mods->modules[1].base, 0xffffffffc0400000u);
    auto bad = sideband::parse_modules("ok 1 0 - Live 0x10\nbroken\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("line 2"), std::string::npos) << bad.error().message;
}

TEST(KernelModules, ReadsThisKernel) {
    auto mods = read_modules();
    ASSERT_TRUE(mods.ok()) << mods.error().message;
    for (const auto& m : mods->modules) {
        EXPECT_FALSE(m.name.empty());
        if (!m.build_id.empty()) {
            EXPECT_EQ(m.build_id.size(), 20u) << m.name;
        }
    }
}

TEST(PerfMap, ReadsWholeLinesOfTheFile) {
    TempDir dir;
    const int pid = ::getpid();
    const std::string name = "perf-" + std::to_string(pid) + ".map";
    EXPECT_FALSE(read_perf_map(pid, dir.dir()));
    dir.write(name, "7f0000001000 40 jitted_a\n7f0000002000 10 jitted_b\n7f00000030");
    auto map = read_perf_map(pid, dir.dir());
    ASSERT_TRUE(map);
    EXPECT_EQ(map->pid, pid);
    EXPECT_EQ(map->contents, "7f0000001000 40 jitted_a\n7f0000002000 10 jitted_b\n");
}

TEST(PerfMap, IgnoresSymlinksAndDirectories) {
    TempDir dir;
    const std::string target = dir.write("secret", "ffff 1 secret\n");
    fs::create_symlink(target, dir.dir() + "/perf-1234.map");
    EXPECT_FALSE(read_perf_map(1234, dir.dir()));
    fs::create_directory(dir.dir() + "/perf-1235.map");
    EXPECT_FALSE(read_perf_map(1235, dir.dir()));
}
