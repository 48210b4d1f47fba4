// uprobe/uretprobe specs: parsing, symbol to file offset (checked against nm and readelf),
// errors with their context, the uprobe PMU's sysfs description.
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pmu/event_resolver.h"
#include "pmu/uprobes.h"

using namespace kiln::pmu;

namespace {

const std::string kTarget = PROBE_TARGET;  // probe_target_fp, built with the tests

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string command_output(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
}

// The file offset of a function the way a person would work it out: its address from nm,
// minus the address of the PT_LOAD segment readelf shows it in, plus that segment's offset.
uint64_t offset_from_binutils(const std::string& path, const std::string& symbol, bool dynamic) {
    std::istringstream nm(command_output("nm " + std::string(dynamic ? "-D " : "") + path));
    uint64_t addr = 0;
    std::string line;
    bool found = false;
    while (std::getline(nm, line)) {
        std::istringstream f(line);
        std::string a, type, name;
        if (!(f >> a >> type >> name) || (type != "T" && type != "t")) continue;
        // nm -D spells versions: malloc@@GLIBC_2.2.5 is the default, memcpy@GLIBC_2.2.5 a compat one.
        const size_t at = name.find('@');
        if (at != std::string::npos && name.compare(at, 2, "@@") != 0) continue;
        if (name.substr(0, at) == symbol) {
            addr = std::stoull(a, nullptr, 16);
            found = true;
            break;
        }
    }
    EXPECT_TRUE(found) << symbol << " not in nm " << path;
    std::istringstream re(command_output("readelf -lW " + path));
    while (std::getline(re, line)) {
        std::istringstream f(line);
        std::string type, off, vaddr, paddr, filesz;
        if (!(f >> type >> off >> vaddr >> paddr >> filesz) || type != "LOAD") continue;
        const uint64_t o = std::stoull(off, nullptr, 16), v = std::stoull(vaddr, nullptr, 16),
                       sz = std::stoull(filesz, nullptr, 16);
        if (addr >= v && addr < v + sz) return addr - v + o;
    }
    ADD_FAILURE() << "no PT_LOAD of " << path << " holds 0x" << std::hex << addr;
    return 0;
}

// Through a function no sanitizer intercepts (ASan's runtime defines its own malloc).
std::string libc_path() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&::gnu_get_libc_version), &info) == 0 || !info.dli_fname) return "";
    return info.dli_fname;
}

// A fake sysfs directory describing a uprobe PMU.
class FakePmu {
public:
    FakePmu(const std::string& type, const std::string& retprobe) {
        char tmpl[] = "/tmp/kiln-uprobe-pmu-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        std::filesystem::create_directories(dir_ + "/format");
        std::ofstream(dir_ + "/type") << type << "\n";
        if (!retprobe.empty()) std::ofstream(dir_ + "/format/retprobe") << retprobe << "\n";
    }
    ~FakePmu() { std::filesystem::remove_all(dir_); }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
};

}  // namespace

TEST(UprobeSpec, ParsesPathSymbolAndOffset) {
    auto s = parse_uprobe_spec("uprobe:/usr/bin/bash:readline");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_FALSE(s->retprobe);
    EXPECT_EQ(s->path, "/usr/bin/bash");
    EXPECT_EQ(s->symbol, "readline");
    EXPECT_EQ(s->offset, 0u);

    s = parse_uprobe_spec("uretprobe:lib/libfoo.so:foo_init");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->retprobe);
    EXPECT_EQ(s->path, "lib/libfoo.so");
    EXPECT_EQ(s->symbol, "foo_init");

    s = parse_uprobe_spec("uprobe:/a/b:f+0x10");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->symbol, "f");
    EXPECT_EQ(s->offset, 16u);
    s = parse_uprobe_spec("uprobe:/a/b:f+12");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->offset, 12u);

    // The symbol follows the last colon: a path may hold one.
    s = parse_uprobe_spec("uprobe:/odd:dir/x:f");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->path, "/odd:dir/x");
    EXPECT_EQ(s->symbol, "f");

    EXPECT_TRUE(is_uprobe_spec("uprobe:/x:y"));
    EXPECT_TRUE(is_uprobe_spec("uretprobe:/x:y"));
    EXPECT_FALSE(is_uprobe_spec("sched:sched_switch"));
    EXPECT_FALSE(is_uprobe_spec("uprobes:foo"));
}

TEST(UprobeSpec, MalformedSpecsSayWhatIsExpected) {
    for (const char* bad : {"uprobe:", "uprobe:/bin/true", "uprobe::main", "uprobe:/bin/true:", "uprobe:/bin/true:+4"}) {
        auto s = parse_uprobe_spec(bad);
        ASSERT_FALSE(s) << bad;
        EXPECT_TRUE(contains(s.error().message, "uprobe:PATH:SYMBOL")) << s.error().message;
    }
    auto s = parse_uprobe_spec("uprobe:/bin/true:main+zz");
    ASSERT_FALSE(s);
    EXPECT_TRUE(contains(s.error().message, "offset")) << s.error().message;
    s = parse_uprobe_spec("uretprobe:/bin/true:main+4");
    ASSERT_FALSE(s);
    EXPECT_TRUE(contains(s.error().message, "no +OFFSET")) << s.error().message;
}

TEST(UprobeOffset, MatchesNmAndReadelfInAnExecutable) {
    for (const char* fn : {"probed", "caller_a", "caller_b", "main"}) {
        auto off = find_function(kTarget, fn);
        ASSERT_TRUE(off) << off.error().message;
        EXPECT_EQ(off->file_offset, offset_from_binutils(kTarget, fn, false)) << fn;
        EXPECT_GT(off->size, 0u) << fn;
    }
}

TEST(UprobeOffset, MatchesNmInASharedLibrarysDynamicSymbols) {
    const std::string libc = libc_path();
    if (libc.empty()) GTEST_SKIP() << "cannot find this process's libc";
    auto off = find_function(libc, "malloc");
    ASSERT_TRUE(off) << off.error().message;
    EXPECT_EQ(off->file_offset, offset_from_binutils(libc, "malloc", true));
}

TEST(UprobeOffset, OffsetPointsAtTheFunctionsCode) {
    // probe_target's probed() starts with the same bytes wherever the file is read from:
    // compare the bytes at our offset with objdump's disassembly of the function.
    auto off = find_function(kTarget, "probed");
    ASSERT_TRUE(off) << off.error().message;
    std::ifstream f(kTarget, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(off->file_offset));
    unsigned char bytes[4] = {};
    f.read(reinterpret_cast<char*>(bytes), sizeof bytes);
    const std::string dump = command_output("objdump -d --disassemble=probed " + kTarget);
    char first[16];
    std::snprintf(first, sizeof first, "%02x %02x %02x", bytes[0], bytes[1], bytes[2]);
    EXPECT_TRUE(contains(dump, first)) << first << " not in\n" << dump;
}

TEST(UprobeOffset, UnknownSymbolSuggestsCloseNames) {
    auto off = find_function(kTarget, "probd");
    ASSERT_FALSE(off);
    EXPECT_TRUE(contains(off.error().message, "no function 'probd' in " + kTarget)) << off.error().message;
    EXPECT_TRUE(contains(off.error().message, "did you mean probed")) << off.error().message;
}

TEST(UprobeOffset, ImportedAndNonFunctionSymbolsAreExplained) {
    auto off = find_function(kTarget, "__libc_start_main");
    ASSERT_FALSE(off);
    EXPECT_TRUE(contains(off.error().message, "not defined in " + kTarget)) << off.error().message;
    off = find_function(kTarget, "sink");
    ASSERT_FALSE(off);
    EXPECT_TRUE(contains(off.error().message, "not a function")) << off.error().message;
}

TEST(UprobeOffset, IfuncNamesTheProblem) {
    const std::string libc = libc_path();
    if (libc.empty()) GTEST_SKIP() << "cannot find this process's libc";
    if (!contains(command_output("nm -D " + libc), " i strlen")) GTEST_SKIP() << "strlen is no IFUNC in " << libc;
    auto off = find_function(libc, "strlen");
    ASSERT_FALSE(off);
    EXPECT_TRUE(contains(off.error().message, "IFUNC")) << off.error().message;
    EXPECT_TRUE(contains(off.error().message, "implementation")) << off.error().message;
}

TEST(UprobeOffset, MissingAndNonElfFilesAreNamed) {
    auto off = find_function("/nonexistent/kiln/binary", "main");
    ASSERT_FALSE(off);
    EXPECT_TRUE(contains(off.error().message, "/nonexistent/kiln/binary")) << off.error().message;
    EXPECT_TRUE(contains(off.error().message, "No such file")) << off.error().message;

    char path[] = "/tmp/kiln-not-elf-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "#!/bin/sh\necho hi\n", 18), 18);
    ::close(fd);
    off = find_function(path, "main");
    ::unlink(path);
    ASSERT_FALSE(off);
    EXPECT_TRUE(contains(off.error().message, std::string(path) + " is not an ELF file")) << off.error().message;

    auto ev = make_uprobe_event("uprobe:/nonexistent/kiln/binary:main");
    ASSERT_FALSE(ev);
    EXPECT_TRUE(contains(ev.error().message, "uprobe:/nonexistent/kiln/binary:main")) << ev.error().message;
}

TEST(UprobeEvent, UprobeAndUretprobeAttrs) {
    FakePmu pmu("42", "config:5");
    auto entry = find_function(kTarget, "probed");
    ASSERT_TRUE(entry) << entry.error().message;

    auto ev = make_uprobe_event("uprobe:" + kTarget + ":probed", pmu.dir());
    ASSERT_TRUE(ev) << ev.error().message;
    EXPECT_EQ(ev->kind, EventKind::kUprobe);
    EXPECT_EQ(ev->name, "uprobe:" + kTarget + ":probed");
    EXPECT_EQ(ev->probe_path, kTarget);
    EXPECT_EQ(ev->attr.type, 42u);
    EXPECT_EQ(ev->attr.config, 0u);
    EXPECT_EQ(ev->attr.config1, 0u);  // the recorder points it at probe_path when it opens the event
    EXPECT_EQ(ev->attr.config2, entry->file_offset);
    EXPECT_FALSE(ev->is_clock);

    ev = make_uprobe_event("uretprobe:" + kTarget + ":probed", pmu.dir());
    ASSERT_TRUE(ev) << ev.error().message;
    EXPECT_EQ(ev->name, "uretprobe:" + kTarget + ":probed");
    EXPECT_EQ(ev->attr.config, uint64_t{1} << 5);
    EXPECT_EQ(ev->attr.config2, entry->file_offset);

    ev = make_uprobe_event("uprobe:" + kTarget + ":probed+0x4", pmu.dir());
    ASSERT_TRUE(ev) << ev.error().message;
    EXPECT_EQ(ev->name, "uprobe:" + kTarget + ":probed+0x4");
    EXPECT_EQ(ev->attr.config2, entry->file_offset + 4);

    ev = make_uprobe_event("uprobe:" + kTarget + ":probed+100000", pmu.dir());
    ASSERT_FALSE(ev);
    EXPECT_TRUE(contains(ev.error().message, "past the end of 'probed'")) << ev.error().message;
}

TEST(UprobeEvent, RelativePathsAreMadeAbsolute) {
    const std::string rel = std::filesystem::relative(kTarget).string();
    ASSERT_NE(rel.front(), '/');
    FakePmu pmu("42", "config:0");
    auto ev = make_uprobe_event("uprobe:" + rel + ":probed", pmu.dir());
    ASSERT_TRUE(ev) << ev.error().message;
    EXPECT_EQ(ev->probe_path.front(), '/');
    EXPECT_TRUE(std::filesystem::equivalent(ev->probe_path, kTarget)) << ev->probe_path;
    EXPECT_EQ(ev->name, "uprobe:" + ev->probe_path + ":probed");
}

TEST(UprobeEvent, KernelWithoutUprobePmu) {
    auto ev = make_uprobe_event("uprobe:" + kTarget + ":probed", "/nonexistent/sys/devices/uprobe");
    ASSERT_FALSE(ev);
    EXPECT_TRUE(contains(ev.error().message, "no uprobe PMU")) << ev.error().message;
    EXPECT_TRUE(contains(ev.error().message, "CONFIG_UPROBE_EVENTS")) << ev.error().message;

    FakePmu no_format("42", "");
    ev = make_uprobe_event("uretprobe:" + kTarget + ":probed", no_format.dir());
    ASSERT_FALSE(ev);
    EXPECT_TRUE(contains(ev.error().message, "retprobe")) << ev.error().message;
}

TEST(UprobeEvent, ThisKernelsRetprobeBit) {
    std::ifstream f("/sys/bus/event_source/devices/uprobe/format/retprobe");
    std::string format;
    if (!(f >> format)) GTEST_SKIP() << "no uprobe PMU here";
    ASSERT_EQ(format.rfind("config:", 0), 0u) << format;
    const int bit = std::atoi(format.c_str() + 7);
    auto pmu = uprobe_pmu();
    ASSERT_TRUE(pmu) << pmu.error().message;
    EXPECT_EQ(pmu->retprobe_bit, static_cast<uint64_t>(bit));
    auto ev = make_uprobe_event("uretprobe:" + kTarget + ":probed");
    ASSERT_TRUE(ev) << ev.error().message;
    EXPECT_EQ(ev->attr.config, uint64_t{1} << bit);
    EXPECT_EQ(ev->attr.type, pmu->type);
}

TEST(UprobeEvent, ResolveEventDispatchesBeforeModifiers) {
    if (::geteuid() != 0) GTEST_SKIP() << "creating uprobes needs root";
    auto ev = resolve_event("uprobe:" + kTarget + ":probed");
    ASSERT_TRUE(ev) << ev.error().message;
    EXPECT_EQ(ev->kind, EventKind::kUprobe);
    EXPECT_EQ(ev->attr.config1, 0u);
    // ":u" is the symbol here, not perf's user-space modifier.
    auto u = resolve_event("uprobe:" + kTarget + ":u");
    ASSERT_FALSE(u);
    EXPECT_TRUE(contains(u.error().message, "no function 'u'")) << u.error().message;
}
