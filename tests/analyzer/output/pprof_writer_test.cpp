// The pprof writer, checked twice: by parsing its output with the generated profile.proto
// classes (every field, every index), and by `go tool pprof`, the reference reader.
#include "analyzer/output/pprof_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "profile.pb.h"
#include "tests/temp_dir.h"

extern char** environ;

namespace kiln::analyzer {
namespace {

namespace pb = perftools::profiles;
namespace fs = std::filesystem;

constexpr uint64_t kAppStart = uint64_t{1} << 40;
constexpr char kBuildId[] = "0123456789abcdef0123456789abcdef01234567";

// main → outer(int) with mix_step inlined into it (one location, two lines), and
// main → an address nothing explains → do_syscall_64 in the kernel.
// cpu: mix_step 3 µs, do_syscall_64 1 µs.
Profile sample_profile() {
    Profile p;
    p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    p.default_sample_type = 1;
    p.period_type = {"cpu", "nanoseconds"};
    p.period = 1001001;
    p.time_nanos = 1700000000000000000;
    p.duration_nanos = 2000000000;
    p.comments = {"kiln test", "second comment"};
    Mapping app;
    app.start = kAppStart;
    app.limit = kAppStart + 0x10000;
    app.file_offset = 0x2000;
    app.file = "/usr/bin/app";
    app.build_id = kBuildId;
    app.has_functions = app.has_filenames = app.has_line_numbers = app.has_inline_frames = true;
    Mapping kernel;
    kernel.start = 0x8000000000000000ull;
    kernel.limit = ~0ull;
    kernel.file = "[kernel.kallsyms]";
    kernel.has_functions = true;
    p.mappings = {app, kernel};
    p.functions = {{"main", "main", "app.c", 10},
                   {"outer(int)", "_Z5outeri", "app.cc", 20},
                   {"mix_step", "mix_step", "mix.h", 5},
                   {"do_syscall_64", "", "", 0}};  // no system name: the name stands in
    Location inl;
    inl.mapping = 1;
    inl.address = kAppStart + 0x1234;
    inl.lines = {{2, 7}, {1, 25}};  // mix_step (innermost) inlined into outer(int)
    Location caller;
    caller.mapping = 1;
    caller.address = kAppStart + 0x1100;
    caller.lines = {{0, 12}};
    Location k;
    k.mapping = 2;
    k.address = 0xffffffff81000100;
    k.kind = FrameKind::Kernel;
    k.lines = {{3, 0}};
    Location unknown;  // no mapping, no symbol
    unknown.address = 0xdead;
    unknown.kind = FrameKind::Unknown;
    p.locations = {inl, caller, k, unknown};
    Sample hot;
    hot.locations = {0, 1};
    hot.values = {3, 3000};
    hot.labels = {{"pid", "", 42}, {"tid", "", 43}, {"comm", "app", 0}};
    Sample sys;
    sys.locations = {2, 3, 1};
    sys.values = {1, 1000};
    sys.labels = {{"pid", "", 42}, {"tid", "", 42}, {"comm", "app", 0}, {"cpu", "", 3}};
    p.samples = {hot, sys};
    return p;
}

std::string gunzip(const std::vector<uint8_t>& in) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 32), Z_OK);
    std::string out;
    char buf[65536];
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    int rc;
    do {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    } while (rc == Z_OK);
    EXPECT_EQ(rc, Z_STREAM_END);
    EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip trailer";
    inflateEnd(&z);
    return out;
}

// gzip framing (magic, deflate) and a profile.proto inside.
pb::Profile decode(const std::vector<uint8_t>& bytes) {
    EXPECT_GE(bytes.size(), 18u);
    if (bytes.size() >= 3) {
        EXPECT_EQ(bytes[0], 0x1f);  // gzip magic, not a zlib header
        EXPECT_EQ(bytes[1], 0x8b);
        EXPECT_EQ(bytes[2], 8);  // deflate
    }
    pb::Profile p;
    EXPECT_TRUE(p.ParseFromString(gunzip(bytes)));
    return p;
}

// What pprof's own validity check asks for, plus our string table rules: [0] == "", each
// string once, every string index in range, every id unique, non-zero and resolvable.
void expect_consistent(const pb::Profile& p) {
    ASSERT_GT(p.string_table_size(), 0);
    EXPECT_EQ(p.string_table(0), "");
    std::set<std::string> distinct(p.string_table().begin(), p.string_table().end());
    EXPECT_EQ(distinct.size(), static_cast<size_t>(p.string_table_size())) << "a string is stored twice";
    auto str_ok = [&p](int64_t i, const char* what) {
        EXPECT_TRUE(i >= 0 && i < p.string_table_size()) << what << " string index " << i;
    };
    for (const auto& t : p.sample_type()) str_ok(t.type(), "sample_type.type"), str_ok(t.unit(), "sample_type.unit");
    str_ok(p.period_type().type(), "period_type.type");
    str_ok(p.period_type().unit(), "period_type.unit");
    str_ok(p.default_sample_type(), "default_sample_type");
    str_ok(p.drop_frames(), "drop_frames");
    str_ok(p.keep_frames(), "keep_frames");
    for (int64_t c : p.comment()) str_ok(c, "comment");
    std::set<uint64_t> mappings, functions, locations;
    for (const auto& m : p.mapping()) {
        EXPECT_NE(m.id(), 0u);
        EXPECT_TRUE(mappings.insert(m.id()).second) << "mapping id " << m.id();
        str_ok(m.filename(), "mapping.filename");
        str_ok(m.build_id(), "mapping.build_id");
    }
    for (const auto& f : p.function()) {
        EXPECT_NE(f.id(), 0u);
        EXPECT_TRUE(functions.insert(f.id()).second) << "function id " << f.id();
        str_ok(f.name(), "function.name");
        str_ok(f.system_name(), "function.system_name");
        str_ok(f.filename(), "function.filename");
    }
    for (const auto& l : p.location()) {
        EXPECT_NE(l.id(), 0u);
        EXPECT_TRUE(locations.insert(l.id()).second) << "location id " << l.id();
        EXPECT_TRUE(l.mapping_id() == 0 || mappings.count(l.mapping_id())) << "location " << l.id();
        for (const auto& line : l.line()) EXPECT_TRUE(functions.count(line.function_id())) << "location " << l.id();
    }
    for (const auto& s : p.sample()) {
        EXPECT_EQ(s.value_size(), p.sample_type_size());
        for (uint64_t id : s.location_id()) EXPECT_TRUE(locations.count(id)) << "location id " << id;
        for (const auto& l : s.label()) {
            str_ok(l.key(), "label.key");
            str_ok(l.str(), "label.str");
            str_ok(l.num_unit(), "label.num_unit");
            EXPECT_TRUE(l.str() == 0 || (l.num() == 0 && l.num_unit() == 0)) << "label with both str and num";
        }
    }
}

using kiln::test::TempDir;

TEST(Pprof, RoundTripKeepsEveryField) {
    auto bytes = encode_pprof(sample_profile());
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    const pb::Profile p = decode(*bytes);
    expect_consistent(p);
    if (HasFatalFailure()) return;
    auto str = [&p](int64_t i) {
        return i >= 0 && i < p.string_table_size() ? p.string_table(static_cast<int>(i)) : "<bad>";
    };

    ASSERT_EQ(p.sample_type_size(), 2);
    EXPECT_EQ(str(p.sample_type(0).type()), "samples");
    EXPECT_EQ(str(p.sample_type(0).unit()), "count");
    EXPECT_EQ(str(p.sample_type(1).type()), "cpu");
    EXPECT_EQ(str(p.sample_type(1).unit()), "nanoseconds");
    EXPECT_EQ(str(p.default_sample_type()), "cpu");
    EXPECT_EQ(str(p.period_type().type()), "cpu");
    EXPECT_EQ(str(p.period_type().unit()), "nanoseconds");
    EXPECT_EQ(p.period(), 1001001);
    EXPECT_EQ(p.time_nanos(), 1700000000000000000);
    EXPECT_EQ(p.duration_nanos(), 2000000000);
    EXPECT_EQ(p.drop_frames(), 0);
    EXPECT_EQ(p.keep_frames(), 0);
    ASSERT_EQ(p.comment_size(), 2);
    EXPECT_EQ(str(p.comment(0)), "kiln test");
    EXPECT_EQ(str(p.comment(1)), "second comment");

    ASSERT_EQ(p.mapping_size(), 2);
    const auto& app = p.mapping(0);
    EXPECT_EQ(app.id(), 1u);
    EXPECT_EQ(app.memory_start(), kAppStart);
    EXPECT_EQ(app.memory_limit(), kAppStart + 0x10000);
    EXPECT_EQ(app.file_offset(), 0x2000u);
    EXPECT_EQ(str(app.filename()), "/usr/bin/app");
    EXPECT_EQ(str(app.build_id()), kBuildId);
    EXPECT_TRUE(app.has_functions() && app.has_filenames() && app.has_line_numbers() && app.has_inline_frames());
    const auto& kernel = p.mapping(1);
    EXPECT_EQ(kernel.id(), 2u);
    EXPECT_EQ(kernel.memory_start(), 0x8000000000000000ull);
    EXPECT_EQ(kernel.memory_limit(), ~0ull);
    EXPECT_EQ(kernel.file_offset(), 0u);
    EXPECT_EQ(str(kernel.filename()), "[kernel.kallsyms]");
    EXPECT_EQ(kernel.build_id(), 0) << "no build-id is the empty string";
    EXPECT_TRUE(kernel.has_functions());
    EXPECT_FALSE(kernel.has_filenames() || kernel.has_line_numbers() || kernel.has_inline_frames());

    const Profile in = sample_profile();
    ASSERT_EQ(p.function_size(), 4);
    for (int i = 0; i < 4; ++i) {
        const auto& f = p.function(i);
        const Function& want = in.functions[static_cast<size_t>(i)];
        EXPECT_EQ(f.id(), static_cast<uint64_t>(i + 1));
        EXPECT_EQ(str(f.name()), want.name);
        EXPECT_EQ(str(f.system_name()), want.system_name.empty() ? want.name : want.system_name);
        EXPECT_EQ(str(f.filename()), want.file);
        EXPECT_EQ(f.start_line(), want.start_line);
    }

    ASSERT_EQ(p.location_size(), 4);
    for (int i = 0; i < 4; ++i) {
        const auto& l = p.location(i);
        const Location& want = in.locations[static_cast<size_t>(i)];
        EXPECT_EQ(l.id(), static_cast<uint64_t>(i + 1));
        EXPECT_EQ(l.mapping_id(), want.mapping);
        EXPECT_EQ(l.address(), want.address);
        EXPECT_FALSE(l.is_folded());
        ASSERT_EQ(l.line_size(), static_cast<int>(want.lines.size())) << "location " << i;
        for (int j = 0; j < l.line_size(); ++j) {  // same order: innermost first
            EXPECT_EQ(l.line(j).function_id(), want.lines[static_cast<size_t>(j)].function + 1);
            EXPECT_EQ(l.line(j).line(), want.lines[static_cast<size_t>(j)].line);
        }
    }
    const auto& inl = p.location(0);
    EXPECT_EQ(str(p.function(static_cast<int>(inl.line(0).function_id() - 1)).name()), "mix_step");
    EXPECT_EQ(str(p.function(static_cast<int>(inl.line(1).function_id() - 1)).name()), "outer(int)");
    EXPECT_EQ(p.location(3).mapping_id(), 0u);

    ASSERT_EQ(p.sample_size(), 2);
    const auto& hot = p.sample(0);
    EXPECT_EQ(std::vector<uint64_t>(hot.location_id().begin(), hot.location_id().end()),
              (std::vector<uint64_t>{1, 2}));  // leaf first, ids = index + 1
    EXPECT_EQ(std::vector<int64_t>(hot.value().begin(), hot.value().end()), (std::vector<int64_t>{3, 3000}));
    EXPECT_EQ(std::vector<uint64_t>(p.sample(1).location_id().begin(), p.sample(1).location_id().end()),
              (std::vector<uint64_t>{3, 4, 2}));
    for (int i = 0; i < 2; ++i) {  // labels: in order, a string or a number, never both
        const auto& labels = p.sample(i).label();
        const auto& want = in.samples[static_cast<size_t>(i)].labels;
        ASSERT_EQ(labels.size(), static_cast<int>(want.size()));
        for (int j = 0; j < labels.size(); ++j) {
            const Label& w = want[static_cast<size_t>(j)];
            EXPECT_EQ(str(labels[j].key()), w.key);
            EXPECT_EQ(str(labels[j].str()), w.str) << w.key;
            EXPECT_EQ(labels[j].num(), w.num) << w.key;
        }
    }
    EXPECT_EQ(p.sample(1).value(1), 1000);
    EXPECT_EQ(hot.label(1).num(), 43);          // tid
    EXPECT_EQ(str(hot.label(2).str()), "app");  // comm
}

TEST(Pprof, StringsAreStoredOnce) {
    Profile in = sample_profile();
    for (int i = 0; i < 1000; ++i) in.samples.push_back(in.samples[static_cast<size_t>(i % 2)]);
    auto bytes = encode_pprof(in);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    const pb::Profile p = decode(*bytes);
    expect_consistent(p);
    EXPECT_EQ(p.sample_size(), 1002);
    // Every distinct string of sample_profile() once, plus "": 48 would mean no interning.
    std::set<std::string> want{""};
    for (const auto& t : in.sample_types) want.insert({t.type, t.unit});
    for (const auto& m : in.mappings) want.insert({m.file, m.build_id});
    for (const auto& f : in.functions) want.insert({f.name, f.system_name, f.file});
    for (const auto& c : in.comments) want.insert(c);
    for (const auto& l : in.samples[1].labels) want.insert({l.key, l.str});
    EXPECT_EQ(static_cast<size_t>(p.string_table_size()), want.size());
}

TEST(Pprof, EmptyProfilesEncode) {
    Profile no_samples;
    no_samples.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    for (const Profile& in : {Profile{}, no_samples}) {
        auto bytes = encode_pprof(in);
        ASSERT_TRUE(bytes.ok()) << bytes.error().message;
        const pb::Profile p = decode(*bytes);
        expect_consistent(p);
        EXPECT_EQ(p.sample_size(), 0);
        EXPECT_EQ(p.sample_type_size(), static_cast<int>(in.sample_types.size()));
        EXPECT_FALSE(p.has_period_type());
    }
}

TEST(Pprof, DanglingIndexesAreErrorsNamingThem) {
    auto error_of = [](const Profile& p) {
        auto r = encode_pprof(p);
        return r.ok() ? std::string("<no error>") : r.error().message;
    };
    Profile p = sample_profile();
    p.samples[1].locations.push_back(4);
    EXPECT_NE(error_of(p).find("sample 1 refers to location 4 of 4"), std::string::npos) << error_of(p);
    p = sample_profile();
    p.samples[0].values.pop_back();
    EXPECT_NE(error_of(p).find("sample 0 has 1 values for 2 sample types"), std::string::npos) << error_of(p);
    p = sample_profile();
    p.locations[2].lines[0].function = 9;
    EXPECT_NE(error_of(p).find("location 2 refers to function 9 of 4"), std::string::npos) << error_of(p);
    p = sample_profile();
    p.locations[0].mapping = 3;
    EXPECT_NE(error_of(p).find("location 0 refers to mapping 3"), std::string::npos) << error_of(p);
    p = sample_profile();
    p.default_sample_type = 2;
    EXPECT_NE(error_of(p).find("default_sample_type 2"), std::string::npos) << error_of(p);
    p = sample_profile();
    p.samples[0].locations.push_back(3);  // in range: fine
    EXPECT_EQ(error_of(p), "<no error>");
}

std::vector<uint8_t> slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}


TEST(Pprof, FileAndStdoutHoldWhatEncodeReturns) {
    TempDir tmp;
    ASSERT_FALSE(tmp.dir().empty());
    auto bytes = encode_pprof(sample_profile());
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(write_pprof(sample_profile(), tmp.path("a.pb.gz")).ok());
    EXPECT_EQ(slurp(tmp.path("a.pb.gz")), *bytes);

    const int saved = dup(STDOUT_FILENO);
    const int fd = open(tmp.path("stdout.pb.gz").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_GE(saved, 0);
    fflush(stdout);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    Status st = write_pprof(sample_profile(), "-");
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(slurp(tmp.path("stdout.pb.gz")), *bytes);
}

TEST(Pprof, UnwritablePathIsNamedInTheError) {
    Status st = write_pprof(sample_profile(), "/nonexistent-dir/x.pb.gz");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/nonexistent-dir/x.pb.gz"), std::string::npos) << st.error().message;
    Profile bad = sample_profile();
    bad.samples[0].values.clear();
    st = write_pprof(bad, "/tmp/never-written.pb.gz");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/tmp/never-written.pb.gz: pprof:"), std::string::npos) << st.error().message;
}

// `go` found on PATH, or "" (the tests then fail: go tool pprof is the reference reader).
std::string find_go() {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string go = (dir.empty() ? "." : dir) + "/go";
        if (access(go.c_str(), X_OK) == 0) return go;
    }
    return "";
}

struct Proc {
    int exit_code = -1;  // -1: killed or not started
    std::string out, err;
};

// Runs argv without a shell, stdout through a pipe, stderr to a file; env entries override.
Proc spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
           const std::string& err_file, std::chrono::seconds timeout) {
    Proc r;
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        if (!env.count(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
    }
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& s : argv_copy) args.push_back(s.data());
    args.push_back(nullptr);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return r;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        r.err = std::string("posix_spawn ") + args[0] + ": " + std::strerror(rc);
        return r;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd pfd{fds[0], POLLIN, 0};
        const int ready = left.count() <= 0 ? 0 : poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            kill(pid, SIGKILL);
            r.out += "\n[killed after " + std::to_string(timeout.count()) + " s]";
            break;
        }
        const ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        r.out.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    const auto err = slurp(err_file);
    r.err.assign(err.begin(), err.end());
    return r;
}

// One row of `pprof -top`: flat flat% sum% cum cum% name.
struct TopRow {
    std::string flat, flat_pct, cum, cum_pct;
};

std::map<std::string, TopRow> top_rows(const std::string& out) {
    std::map<std::string, TopRow> rows;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string word; words >> word;) w.push_back(word);
        if (w.size() < 6 || w[1].back() != '%' || w[2].back() != '%' || w[4].back() != '%') continue;
        std::string name = w[5];
        for (size_t i = 6; i < w.size(); ++i) name += " " + w[i];
        rows[name] = {w[0], w[1], w[3], w[4]};
    }
    return rows;
}

class GoPprof : public ::testing::Test {
protected:
    void SetUp() override {
        go_ = find_go();
        ASSERT_FALSE(go_.empty()) << "`go` is not on PATH: `go tool pprof` is the reference reader of the pprof "
                                     "output; install golang-go (apt-get install golang-go)";
        ASSERT_FALSE(tmp_.dir().empty());
        ASSERT_EQ(mkdir(tmp_.path("home").c_str(), 0700), 0);
        ASSERT_EQ(mkdir(tmp_.path("binaries").c_str(), 0700), 0);  // stays empty: nothing to symbolize with
    }
    // go tool pprof offline: no symbolization, no binaries, a private HOME ($HOME/pprof).
    Proc pprof(const std::vector<std::string>& args, const std::string& file) {
        std::vector<std::string> argv{go_, "tool", "pprof", "-symbolize=none"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back(file);
        return spawn(argv,
                     {{"HOME", tmp_.path("home")},
                      {"PPROF_BINARY_PATH", tmp_.path("binaries")},
                      {"PPROF_TMPDIR", tmp_.path("home")},
                      {"GOTOOLCHAIN", "local"}},
                     tmp_.path("stderr"), std::chrono::seconds(120));
    }
    std::string write(const Profile& p, const std::string& name) {
        const std::string file = tmp_.path(name);
        Status st = write_pprof(p, file);
        EXPECT_TRUE(st.ok()) << st.error().message;
        return file;
    }
    std::string go_;
    TempDir tmp_;
};

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST_F(GoPprof, TopShowsFlatValuesPerSampleType) {
    const std::string file = write(sample_profile(), "top.pb.gz");
    Proc r = pprof({"-top", "-sample_index=cpu"}, file);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_HAS(r.out, "Type: cpu");
    EXPECT_HAS(r.out, "Duration: 2s");
    EXPECT_HAS(r.out, "Build ID: " + std::string(kBuildId));
    EXPECT_HAS(r.out, "of 4us total");
    auto rows = top_rows(r.out);
    ASSERT_EQ(rows.size(), 5u) << r.out;
    // The inlined function has the flat value and is marked as inlined.
    ASSERT_TRUE(rows.count("mix_step (inline)")) << r.out;
    EXPECT_EQ(rows["mix_step (inline)"].flat, "3us");
    EXPECT_EQ(rows["mix_step (inline)"].flat_pct, "75.00%");
    EXPECT_EQ(rows["do_syscall_64"].flat, "1us");
    EXPECT_EQ(rows["do_syscall_64"].flat_pct, "25.00%");
    EXPECT_EQ(rows["outer(int)"].flat, "0");
    EXPECT_EQ(rows["outer(int)"].cum, "3us");
    EXPECT_EQ(rows["<unknown>"].cum, "1us");
    EXPECT_EQ(rows["main"].flat, "0");
    EXPECT_EQ(rows["main"].cum, "4us");
    EXPECT_EQ(rows["main"].cum_pct, "100%");

    r = pprof({"-top", "-sample_index=samples"}, file);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_HAS(r.out, "Type: samples");
    rows = top_rows(r.out);
    EXPECT_EQ(rows["mix_step (inline)"].flat, "3");
    EXPECT_EQ(rows["mix_step (inline)"].flat_pct, "75.00%");
    EXPECT_EQ(rows["do_syscall_64"].flat, "1");
    EXPECT_EQ(rows["main"].cum, "4");
}

TEST_F(GoPprof, DefaultSampleTypeIsHonoured) {
    // pprof falls back to the last sample type; make the default the first one.
    Profile p = sample_profile();
    p.default_sample_type = 0;
    Proc r = pprof({"-top"}, write(p, "default.pb.gz"));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_HAS(r.out, "Type: samples");
    EXPECT_EQ(top_rows(r.out)["do_syscall_64"].flat, "1");
}

TEST_F(GoPprof, TracesShowInlinedFramesAndLabels) {
    Proc r = pprof({"-traces"}, write(sample_profile(), "traces.pb.gz"));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // The hot stack: leaf first, the inlined frame marked and followed by its caller.
    EXPECT_HAS(r.out, "3us   mix_step (inline)\n             outer(int)\n             main\n");
    EXPECT_HAS(r.out, "1us   do_syscall_64\n             <unknown>\n             main\n");
    EXPECT_HAS(r.out, "comm:  app");
    EXPECT_HAS(r.out, "pid:  42");
    EXPECT_HAS(r.out, "tid:  43");
    EXPECT_HAS(r.out, "cpu:  3");
}

TEST_F(GoPprof, RawShowsMappingsLocationsAndLines) {
    Proc r = pprof({"-raw"}, write(sample_profile(), "raw.pb.gz"));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_HAS(r.out, "PeriodType: cpu nanoseconds");
    EXPECT_HAS(r.out, "Period: 1001001");
    EXPECT_HAS(r.out, "samples/count cpu/nanoseconds[dflt]");
    // Each sample: its values and location ids, then string labels, then numeric ones.
    EXPECT_HAS(r.out, "          3       3000: 1 2 \n                comm:[app]\n                pid:[42] tid:[43]\n");
    EXPECT_HAS(
        r.out,
        "          1       1000: 3 4 2 \n                comm:[app]\n                cpu:[3] pid:[42] tid:[42]\n");
    EXPECT_HAS(r.out, "Comment: kiln test");
    EXPECT_HAS(r.out,
               "1: 0x10000000000/0x10000010000/0x2000 /usr/bin/app " + std::string(kBuildId) + " [FN][FL][LN][IN]");
    EXPECT_HAS(r.out, "2: 0x8000000000000000/0xffffffffffffffff/0x0 [kernel.kallsyms]  [FN]");
    EXPECT_HAS(r.out, "1: 0x10000001234 M=1 mix_step mix.h:7 s=5\n             outer(int) app.cc:25 s=20(_Z5outeri)");
    EXPECT_HAS(r.out, "3: 0xffffffff81000100 M=2 do_syscall_64 :0 s=0\n");
    EXPECT_HAS(r.out, "4: 0xdead \n");  // no mapping, no lines
}

TEST_F(GoPprof, EmptyProfileIsStillValid) {
    Profile p;
    p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    const std::string file = write(p, "empty.pb.gz");
    Proc r = pprof({"-top"}, file);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_HAS(r.out, "Type: samples");  // default_sample_type 0
    EXPECT_HAS(r.out, "of 0 total");
    r = pprof({"-raw"}, file);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace kiln::analyzer
