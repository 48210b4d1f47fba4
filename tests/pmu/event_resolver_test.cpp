// Event specs to perf_event_attr: software, tracepoints, libpfm4 encodings, fallbacks, errors.
// Runs on machines with and without a hardware PMU: where the outcome depends on the
// machine, the test asks the kernel itself and checks the matching branch.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>

#include "pmu/event_resolver.h"
#include "pmu/hardware_events.h"
#include "pmu/pfm_events.h"
#include "pmu/suggest.h"

using namespace kiln::pmu;

namespace {

bool hardware_cycles_work() {
    perf_event_attr a{};
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.disabled = 1;
    int fd = static_cast<int>(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
    if (fd < 0) return false;
    close(fd);
    return true;
}

int paranoid_level() {
    std::ifstream f("/proc/sys/kernel/perf_event_paranoid");
    int level = 0;
    f >> level;
    return level;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Resolves spec in a child process running as nobody; returns "ok NAME ek=B|NOTE" or
// "error MESSAGE".
std::string resolve_as_nobody(const char* spec) {
    int fds[2];
    if (pipe(fds) != 0) return "pipe failed";
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::string out;
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
            out = "setresuid failed";
        } else {
            auto ev = resolve_event(spec);
            out = ev ? "ok " + ev->name + " ek=" + std::to_string(ev->attr.exclude_kernel) + "|" + ev->note
                     : "error " + ev.error().message;
        }
        (void)!write(fds[1], out.data(), out.size());
        _exit(0);
    }
    close(fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return out;
}

}  // namespace

// Root always reaches tracefs (tracefs_root mounts it if needed); other users may not be let
// in (tracefs is mode 0700 on many systems), and then tracepoint tests have nothing to test.
#define SKIP_UNLESS_TRACEFS_READABLE()                                                       \
    do {                                                                                     \
        if (getuid() != 0 && !tracefs_root().ok())                                           \
            GTEST_SKIP() << "tracefs not readable here: " << tracefs_root().error().message; \
    } while (0)

TEST(EventResolver, SoftwareEventsByNameAndAlias) {
    struct Case {
        const char* spec;
        const char* name;
        uint64_t config;
        bool clock;
    } cases[] = {
        {"cpu-clock", "cpu-clock", PERF_COUNT_SW_CPU_CLOCK, true},
        {"task-clock", "task-clock", PERF_COUNT_SW_TASK_CLOCK, true},
        {"page-faults", "page-faults", PERF_COUNT_SW_PAGE_FAULTS, false},
        {"faults", "page-faults", PERF_COUNT_SW_PAGE_FAULTS, false},
        {"context-switches", "context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES, false},
        {"cs", "context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES, false},
        {"cpu-migrations", "cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS, false},
        {"migrations", "cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS, false},
        {"minor-faults", "minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN, false},
        {"major-faults", "major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ, false},
        {"alignment-faults", "alignment-faults", PERF_COUNT_SW_ALIGNMENT_FAULTS, false},
        {"emulation-faults", "emulation-faults", PERF_COUNT_SW_EMULATION_FAULTS, false},
        {"dummy", "dummy", PERF_COUNT_SW_DUMMY, false},
    };
    for (const auto& c : cases) {
        auto ev = resolve_event(c.spec);
        ASSERT_TRUE(ev.ok()) << c.spec << ": " << ev.error().message;
        EXPECT_EQ(ev->name, c.name) << c.spec;
        EXPECT_EQ(ev->requested, c.spec);
        EXPECT_EQ(ev->kind, EventKind::kSoftware) << c.spec;
        EXPECT_EQ(ev->attr.type, PERF_TYPE_SOFTWARE) << c.spec;
        EXPECT_EQ(ev->attr.config, c.config) << c.spec;
        EXPECT_EQ(ev->attr.size, sizeof(perf_event_attr)) << c.spec;
        EXPECT_EQ(ev->is_clock, c.clock) << c.spec;
        if (getuid() == 0) {
            EXPECT_TRUE(ev->note.empty()) << c.spec << ": " << ev->note;
        }
    }
}

TEST(EventResolver, UserAndKernelModifiers) {
    auto user = resolve_event("task-clock:u");
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_EQ(user->name, "task-clock:u");
    EXPECT_TRUE(user->attr.exclude_kernel);
    EXPECT_FALSE(user->attr.exclude_user);
    if (getuid() == 0) {
        auto kernel = resolve_event("cpu-clock:k");
        ASSERT_TRUE(kernel.ok()) << kernel.error().message;
        EXPECT_EQ(kernel->name, "cpu-clock:k");
        EXPECT_TRUE(kernel->attr.exclude_user);
        EXPECT_FALSE(kernel->attr.exclude_kernel);
    }
    auto bad = resolve_event("cpu-clock:x");
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(contains(bad.error().message, "bad modifier 'x'")) << bad.error().message;
    EXPECT_TRUE(contains(bad.error().message, ":u")) << bad.error().message;
}

TEST(EventResolver, CyclesFallsBackOnlyWithoutAPmu) {
    for (const char* spec : {"cycles", "cpu-cycles"}) {
        auto ev = resolve_event(spec);
        ASSERT_TRUE(ev.ok()) << spec << ": " << ev.error().message;
        EXPECT_EQ(ev->requested, spec);
        if (hardware_cycles_work()) {
            EXPECT_EQ(ev->kind, EventKind::kHardware);
            EXPECT_EQ(ev->attr.type, PERF_TYPE_HARDWARE);
            EXPECT_EQ(ev->attr.config, PERF_COUNT_HW_CPU_CYCLES);
            EXPECT_FALSE(ev->is_clock);
        } else {
            EXPECT_EQ(ev->name, "cpu-clock");
            EXPECT_EQ(ev->kind, EventKind::kSoftware);
            EXPECT_EQ(ev->attr.type, PERF_TYPE_SOFTWARE);
            EXPECT_EQ(ev->attr.config, PERF_COUNT_SW_CPU_CLOCK);
            EXPECT_TRUE(ev->is_clock);
            EXPECT_TRUE(contains(ev->note, "no hardware PMU")) << ev->note;
            EXPECT_TRUE(contains(ev->note, "falling back to cpu-clock")) << ev->note;
        }
    }
}

TEST(EventResolver, CyclesFallbackKeepsTheModifier) {
    if (hardware_cycles_work()) GTEST_SKIP() << "this machine has a PMU";
    auto ev = resolve_event("cycles:u");
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(ev->name, "cpu-clock:u");
    EXPECT_EQ(ev->requested, "cycles:u");
    EXPECT_TRUE(ev->attr.exclude_kernel);
    EXPECT_FALSE(ev->attr.exclude_user);
}

TEST(EventResolver, OtherHardwareEventsFailClearlyWithoutAPmu) {
    if (hardware_cycles_work()) GTEST_SKIP() << "this machine has a PMU";
    for (const char* spec : {"instructions", "cache-misses", "branch-misses"}) {
        auto ev = resolve_event(spec);
        ASSERT_FALSE(ev.ok()) << spec;
        const std::string& msg = ev.error().message;
        EXPECT_TRUE(contains(msg, "hardware event '" + std::string(spec) + "' is not supported")) << msg;
        EXPECT_TRUE(contains(msg, "no hardware PMU")) << msg;
        EXPECT_TRUE(contains(msg, "cpu-clock")) << msg;
        EXPECT_TRUE(contains(msg, "kiln list")) << msg;
    }
}

TEST(EventResolver, PfmEncodingsOfGenericHardwareEvents) {
    struct Case {
        const char* name;
        uint64_t config;
    } cases[] = {{"cycles", PERF_COUNT_HW_CPU_CYCLES},
                 {"cpu-cycles", PERF_COUNT_HW_CPU_CYCLES},
                 {"instructions", PERF_COUNT_HW_INSTRUCTIONS},
                 {"cache-references", PERF_COUNT_HW_CACHE_REFERENCES},
                 {"cache-misses", PERF_COUNT_HW_CACHE_MISSES},
                 {"branch-instructions", PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
                 {"branch-misses", PERF_COUNT_HW_BRANCH_MISSES},
                 {"ref-cycles", PERF_COUNT_HW_REF_CPU_CYCLES}};
    for (const auto& c : cases) {
        auto ev = encode_pfm_event(c.name);
        ASSERT_TRUE(ev.ok()) << c.name << ": " << ev.error().message;
        EXPECT_EQ(ev->attr.type, PERF_TYPE_HARDWARE) << c.name;
        EXPECT_EQ(ev->attr.config, c.config) << c.name;
        EXPECT_EQ(ev->attr.size, sizeof(perf_event_attr)) << c.name;
        EXPECT_EQ(ev->kind, EventKind::kHardware) << c.name;
        EXPECT_FALSE(ev->is_clock) << c.name;
        EXPECT_FALSE(ev->attr.exclude_kernel) << c.name;
        EXPECT_FALSE(ev->attr.exclude_user) << c.name;
    }
    auto cache = encode_pfm_event("L1-dcache-load-misses");
    ASSERT_TRUE(cache.ok()) << cache.error().message;
    EXPECT_EQ(cache->attr.type, PERF_TYPE_HW_CACHE);
    EXPECT_EQ(cache->kind, EventKind::kHardware);
    auto user = encode_pfm_event("cycles:u");
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_TRUE(user->attr.exclude_kernel);
    EXPECT_FALSE(user->attr.exclude_user);
    auto unknown = encode_pfm_event("no_such_event_xyz");
    ASSERT_FALSE(unknown.ok());
    EXPECT_TRUE(contains(unknown.error().message, "no_such_event_xyz")) << unknown.error().message;
}

// The privilege and precision bits of an attr, as perf's -vv dump names them.
struct AttrBits {
    uint64_t type = 0, config = 0;
    int exclude_user = 0, exclude_kernel = 0, exclude_hv = 0, exclude_guest = 0, exclude_host = 0, exclude_idle = 0,
        precise_ip = 0;
    bool operator==(const AttrBits&) const = default;
};

AttrBits bits_of(const perf_event_attr& a) {
    AttrBits b;
    b.type = a.type;
    b.config = a.config;
    b.exclude_user = static_cast<int>(a.exclude_user);
    b.exclude_kernel = static_cast<int>(a.exclude_kernel);
    b.exclude_hv = static_cast<int>(a.exclude_hv);
    b.exclude_guest = static_cast<int>(a.exclude_guest);
    b.exclude_host = static_cast<int>(a.exclude_host);
    b.exclude_idle = static_cast<int>(a.exclude_idle);
    b.precise_ip = static_cast<int>(a.precise_ip);
    return b;
}

std::ostream& operator<<(std::ostream& os, const AttrBits& b) {
    return os << "type " << b.type << " config " << b.config << " exclude_user " << b.exclude_user
              << " exclude_kernel " << b.exclude_kernel << " exclude_hv " << b.exclude_hv << " exclude_guest "
              << b.exclude_guest << " exclude_host " << b.exclude_host << " exclude_idle " << b.exclude_idle
              << " precise_ip " << b.precise_ip;
}

// perf's documented modifier rules (tools/perf/Documentation/perf-list.txt, "EVENT MODIFIERS",
// and get_event_modifier() in parse-events.c), written out for one event: they hold on every
// vendor because perf applies them before any PMU is asked.
TEST(EventResolver, GenericEventsTakePerfsModifierRules) {
    struct Case {
        const char* mods;
        AttrBits want;  // type and config filled in below
    } cases[] = {
        {"", {.exclude_guest = 1}},
        {"u", {.exclude_kernel = 1, .exclude_hv = 1, .exclude_guest = 1}},
        {"k", {.exclude_user = 1, .exclude_hv = 1}},
        {"h", {.exclude_user = 1, .exclude_kernel = 1}},
        {"uk", {.exclude_hv = 1, .exclude_guest = 1}},
        {"kh", {.exclude_user = 1}},
        {"p", {.exclude_guest = 1, .precise_ip = 1}},
        {"ppp", {.exclude_guest = 1, .precise_ip = 3}},
        {"kp", {.exclude_user = 1, .exclude_hv = 1, .exclude_guest = 1, .precise_ip = 1}},
        {"G", {.exclude_host = 1}},
        {"H", {.exclude_guest = 1}},
        {"uG", {.exclude_kernel = 1, .exclude_hv = 1, .exclude_host = 1}},
        {"I", {.exclude_idle = 1}},
    };
    for (const auto& [name, type, config] :
         {std::tuple{"cycles", PERF_TYPE_HARDWARE, uint64_t{PERF_COUNT_HW_CPU_CYCLES}},
          std::tuple{"branches", PERF_TYPE_HARDWARE, uint64_t{PERF_COUNT_HW_BRANCH_INSTRUCTIONS}},
          std::tuple{"page-faults", PERF_TYPE_SOFTWARE, uint64_t{PERF_COUNT_SW_PAGE_FAULTS}}}) {
        for (const auto& c : cases) {
            const std::string spec = *c.mods ? std::string(name) + ":" + c.mods : std::string(name);
            auto ev = encode_named_event(spec);
            ASSERT_TRUE(ev.ok()) << spec << ": " << ev.error().message;
            AttrBits want = c.want;
            want.type = type;
            want.config = config;
            EXPECT_EQ(bits_of(ev->attr), want) << spec;
            EXPECT_EQ(ev->attr.size, sizeof(perf_event_attr)) << spec;
        }
    }
    for (const char* bad : {"cycles:pppp", "cycles:x", "page-faults:uq"}) {
        auto ev = encode_named_event(bad);
        ASSERT_FALSE(ev.ok()) << bad;
        EXPECT_TRUE(contains(ev.error().message, bad)) << ev.error().message;
    }
    // libpfm4's syntax is not kiln's table's: it goes to libpfm4.
    EXPECT_FALSE(find_generic_hardware_event("perf::cycles").has_value());
}

// The first perf_event_attr that `perf stat -vv` prints for spec: the bits perf opens it with.
std::optional<AttrBits> perf_opens(const std::string& spec) {
    const std::string cmd = "perf stat -e '" + spec + "' -vv true 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return std::nullopt;
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
    const size_t begin = out.find("perf_event_attr:");
    if (begin == std::string::npos) return std::nullopt;
    const size_t end = out.find("------", begin);
    std::istringstream block(out.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    AttrBits b;  // perf leaves out the fields that are 0
    std::string line;
    while (std::getline(block, line)) {
        std::istringstream fields(line);
        std::string key, value;
        if (!(fields >> key >> value)) continue;
        const uint64_t v = std::strtoull(value.c_str(), nullptr, 0);
        if (key == "type") b.type = v;
        else if (key == "config") b.config = v;
        else if (key == "exclude_user") b.exclude_user = static_cast<int>(v);
        else if (key == "exclude_kernel") b.exclude_kernel = static_cast<int>(v);
        else if (key == "exclude_hv") b.exclude_hv = static_cast<int>(v);
        else if (key == "exclude_guest") b.exclude_guest = static_cast<int>(v);
        else if (key == "exclude_host") b.exclude_host = static_cast<int>(v);
        else if (key == "exclude_idle") b.exclude_idle = static_cast<int>(v);
        else if (key == "precise_ip") b.precise_ip = static_cast<int>(v);
    }
    return b;
}

// Against perf itself on this machine (Intel, AMD, with or without a PMU: perf prints the attr
// it tries before the kernel answers): every name and alias of kiln's tables, with modifiers.
TEST(EventResolver, GenericEventsOpenAsPerfOpensThem) {
    ASSERT_EQ(std::system("perf version >/dev/null 2>&1"), 0) << "perf (Debian's linux-perf) is the reference here";
    std::vector<std::string> names;
    for (const auto& hw : generic_hardware_events()) {
        names.push_back(hw.name);
        if (hw.alias != nullptr) names.push_back(hw.alias);
    }
    for (const char* sw : {"cpu-clock", "task-clock", "page-faults", "context-switches", "cpu-migrations"})
        names.push_back(sw);
    size_t compared = 0;
    for (const std::string& name : names) {
        for (const char* mods : {"", ":u", ":k", ":uk", ":h", ":p", ":ppp", ":G", ":H", ":uG", ":kpI"}) {
            const std::string spec = name + mods;
            auto ev = encode_named_event(spec);
            ASSERT_TRUE(ev.ok()) << spec << ": " << ev.error().message;
            auto perf = perf_opens(spec);
            ASSERT_TRUE(perf.has_value()) << "perf stat -vv printed no attr for " << spec;
            AttrBits ours = bits_of(ev->attr);
            // A hybrid CPU's perf opens hardware events per core PMU with its type in config's
            // upper half (PERF_PMU_TYPE_SHIFT); the event itself is in the lower half.
            if (perf->type == PERF_TYPE_HARDWARE) perf->config &= 0xffffffffULL;
            EXPECT_EQ(ours, *perf) << spec;
            ++compared;
        }
    }
    EXPECT_EQ(compared, names.size() * 11);
}

TEST(EventResolver, LibpfmEncodesWhatTheTableDoesNotKnow) {
    auto prefixed = resolve_event("perf::instructions");
    auto cache = encode_pfm_event("L1-dcache-load-misses");
    ASSERT_TRUE(cache.ok()) << cache.error().message;
    EXPECT_EQ(cache->attr.type, PERF_TYPE_HW_CACHE);
    if (hardware_cycles_work()) {
        ASSERT_TRUE(prefixed.ok()) << prefixed.error().message;
        EXPECT_EQ(prefixed->attr.config, PERF_COUNT_HW_INSTRUCTIONS);
    } else {
        ASSERT_FALSE(prefixed.ok());
        EXPECT_TRUE(contains(prefixed.error().message, "'perf::instructions' is not supported"))
            << prefixed.error().message;
    }
}

TEST(EventResolver, TracefsRootHasEvents) {
    SKIP_UNLESS_TRACEFS_READABLE();
    auto root = tracefs_root();
    ASSERT_TRUE(root.ok()) << root.error().message;
    std::ifstream f(*root + "/events/sched/sched_switch/id");
    EXPECT_TRUE(f.good()) << *root;
}

// In a private mount namespace (the machine's own mounts stay as they are), unmount tracefs
// and check that tracefs_root() mounts it again.
TEST(EventResolver, TracefsRootMountsTracefsWhenMissing) {
    if (getuid() != 0) GTEST_SKIP() << "needs root to unshare the mount namespace";
    const pid_t pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(10);
        umount2("/sys/kernel/debug", MNT_DETACH);
        while (umount2("/sys/kernel/tracing", MNT_DETACH) == 0) {
        }
        if (access("/sys/kernel/tracing/events", F_OK) == 0) _exit(10);  // cannot set the scene
        auto root = tracefs_root();
        if (!root) _exit(1);
        if (*root != "/sys/kernel/tracing") _exit(2);
        if (access("/sys/kernel/tracing/events/sched/sched_switch/id", R_OK) != 0) _exit(3);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10) GTEST_SKIP() << "no private mount namespace here";
    EXPECT_EQ(WEXITSTATUS(status), 0);
    auto root = tracefs_root();  // the machine's own view is untouched
    ASSERT_TRUE(root.ok()) << root.error().message;
}

TEST(EventResolver, TracepointIdComesFromTracefs) {
    SKIP_UNLESS_TRACEFS_READABLE();
    auto root = tracefs_root();
    ASSERT_TRUE(root.ok()) << root.error().message;
    std::ifstream f(*root + "/events/sched/sched_switch/id");
    uint64_t id = 0;
    ASSERT_TRUE(f >> id);
    auto ev = resolve_event("sched:sched_switch");
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(ev->name, "sched:sched_switch");
    EXPECT_EQ(ev->kind, EventKind::kTracepoint);
    EXPECT_EQ(ev->attr.type, PERF_TYPE_TRACEPOINT);
    EXPECT_EQ(ev->attr.config, id);
    EXPECT_EQ(ev->attr.size, sizeof(perf_event_attr));
    EXPECT_FALSE(ev->is_clock);
}

TEST(EventResolver, UnknownTracepointNamesThePathAndNeighbours) {
    SKIP_UNLESS_TRACEFS_READABLE();
    auto ev = resolve_event("sched:sched_swtch");
    ASSERT_FALSE(ev.ok());
    const std::string& msg = ev.error().message;
    EXPECT_TRUE(contains(msg, "/events/sched/sched_swtch/id")) << msg;
    EXPECT_TRUE(contains(msg, "sched:sched_switch")) << msg;
    EXPECT_TRUE(contains(msg, "kiln list")) << msg;

    auto sub = resolve_event("schd:sched_switch");
    ASSERT_FALSE(sub.ok());
    EXPECT_TRUE(contains(sub.error().message, "/events/schd")) << sub.error().message;
    EXPECT_TRUE(contains(sub.error().message, "sched")) << sub.error().message;
    EXPECT_TRUE(contains(sub.error().message, "kiln list")) << sub.error().message;

    auto none = resolve_event("sched:no_such_thing");
    ASSERT_FALSE(none.ok());
    EXPECT_TRUE(contains(none.error().message, "no_such_thing")) << none.error().message;
}

TEST(EventResolver, TracepointNamesCannotLeaveTracefs) {
    for (const char* spec : {"../../proc:version", "sched:../../../proc/self", "..:x"}) {
        auto ev = resolve_event(spec);
        EXPECT_FALSE(ev.ok()) << spec;
    }
}

TEST(EventResolver, UnknownEventSuggestsCloseNames) {
    struct Case {
        const char* spec;
        const char* suggestion;
    } cases[] = {{"cpu-clok", "cpu-clock"},
                 {"cyclez", "cycles"},
                 {"cyclez:u", "cycles"},
                 {"instrutions", "instructions"},
                 {"page-fault", "page-faults"},
                 {"context-switch", "context-switches"}};
    for (const auto& c : cases) {
        auto ev = resolve_event(c.spec);
        ASSERT_FALSE(ev.ok()) << c.spec;
        const std::string& msg = ev.error().message;
        EXPECT_TRUE(contains(msg, "unknown event '" + std::string(c.spec) + "'")) << msg;
        EXPECT_TRUE(contains(msg, "did you mean")) << msg;
        EXPECT_TRUE(contains(msg, c.suggestion)) << msg;
        EXPECT_TRUE(contains(msg, "Run `kiln list`")) << msg;
    }
    auto far = resolve_event("zzzzzzzzzzzzzzzz");
    ASSERT_FALSE(far.ok());
    EXPECT_FALSE(contains(far.error().message, "did you mean")) << far.error().message;
    EXPECT_TRUE(contains(far.error().message, "kiln list")) << far.error().message;

    auto pmu_specific = resolve_event("NO_SUCH_EVENT:ANY_P");
    ASSERT_FALSE(pmu_specific.ok());
    EXPECT_TRUE(contains(pmu_specific.error().message, "unknown event")) << pmu_specific.error().message;

    auto empty = resolve_event("");
    ASSERT_FALSE(empty.ok());
    EXPECT_TRUE(contains(empty.error().message, "kiln list"));
}

TEST(EventResolver, BadLibpfmModifierIsReported) {
    auto ev = resolve_event("cycles:nosuchmodifier");
    ASSERT_FALSE(ev.ok());
    EXPECT_TRUE(contains(ev.error().message, "cycles:nosuchmodifier")) << ev.error().message;
    EXPECT_TRUE(contains(ev.error().message, "kiln list")) << ev.error().message;
}

TEST(EventResolver, UnprivilegedUsersGetUserSpaceOnlyOrAClearError) {
    if (getuid() != 0) GTEST_SKIP() << "needs root to drop to an unprivileged user";
    const int paranoid = paranoid_level();
    if (paranoid < 2) GTEST_SKIP() << "kernel sampling is allowed for everyone here";
    const std::string clock = resolve_as_nobody("cpu-clock");
    const std::string cycles = resolve_as_nobody("cycles");
    if (paranoid == 2) {
        EXPECT_TRUE(contains(clock, "ok cpu-clock ek=1|")) << clock;
        EXPECT_TRUE(contains(clock, "user space only")) << clock;
        EXPECT_TRUE(contains(clock, "perf_event_paranoid")) << clock;
        EXPECT_TRUE(contains(cycles, "ek=1")) << cycles;
        if (!hardware_cycles_work()) {
            EXPECT_TRUE(contains(cycles, "ok cpu-clock ")) << cycles;
            EXPECT_TRUE(contains(cycles, "falling back to cpu-clock")) << cycles;
        }
    } else {  // Debian's 3 and above: nothing for unprivileged users.
        EXPECT_TRUE(contains(clock, "error")) << clock;
        EXPECT_TRUE(contains(clock, "/proc/sys/kernel/perf_event_paranoid")) << clock;
        EXPECT_TRUE(contains(clock, "CAP_PERFMON")) << clock;
    }
}

TEST(EventList, NamesWhatIsUsable) {
    const std::string list = list_events();
    EXPECT_TRUE(contains(list, "Software events")) << list;
    EXPECT_TRUE(contains(list, "cpu-clock")) << list;
    EXPECT_TRUE(contains(list, "page-faults OR faults")) << list;
    EXPECT_TRUE(contains(list, "Hardware events usable here")) << list;
    EXPECT_TRUE(contains(list, "Tracepoint subsystems")) << list;
    if (getuid() == 0 || tracefs_root().ok()) {
        EXPECT_TRUE(contains(list, "sched ")) << list;
    }
    EXPECT_TRUE(contains(list, "SUBSYSTEM:NAME")) << list;
    EXPECT_TRUE(contains(list, "repeatable")) << list;
    if (hardware_cycles_work()) {
        EXPECT_TRUE(contains(list, "\n  cycles")) << list;
    } else {
        EXPECT_TRUE(contains(list, "none: no hardware PMU on this machine; cycles falls back to cpu-clock")) << list;
    }
}

TEST(EventList, CountsEventsPerSubsystem) {
    SKIP_UNLESS_TRACEFS_READABLE();
    auto root = tracefs_root();
    ASSERT_TRUE(root.ok()) << root.error().message;
    const std::string list = list_events();
    const size_t at = list.find("\n  sched ");
    ASSERT_NE(at, std::string::npos) << list;
    const std::string line = list.substr(at + 1, list.find('\n', at + 1) - at - 1);
    EXPECT_TRUE(contains(line, " events")) << line;
}

TEST(Suggest, EditDistance) {
    EXPECT_EQ(edit_distance("cycles", "cycles"), 0u);
    EXPECT_EQ(edit_distance("cyclez", "cycles"), 1u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("abc", ""), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("CYCLES", "cycles"), 0u);
    EXPECT_EQ(edit_distance("cylces", "cycles"), 1u);  // two letters swapped: one edit
    EXPECT_EQ(edit_distance("--tiem", "--time"), 1u);
    EXPECT_EQ(edit_distance("ab", "ba"), 1u);
    EXPECT_EQ(edit_distance("abc", "ca"), 3u);  // optimal string alignment: no edit of a swapped pair
}

TEST(Suggest, ClosestNamesRanksAndLimits) {
    auto close = closest_names("cpu-clok", {"task-clock", "cpu-clock", "instructions"});
    ASSERT_FALSE(close.empty());
    EXPECT_EQ(close.front(), "cpu-clock");
    EXPECT_TRUE(closest_names("zzzzzzzz", {"cycles", "cpu-clock"}).empty());
    EXPECT_LE(closest_names("a", {"b", "c", "d", "e", "f"}, 3).size(), 3u);
}
