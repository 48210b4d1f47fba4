#include "analyzer/output/pprof_writer.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>

#include "profile.pb.h"

namespace kiln::analyzer {
namespace {

namespace pb = perftools::profiles;

// Two functions, one inlined into the other, in a binary with a build-id; a kernel frame.
Profile sample_profile() {
    Profile p;
    p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    p.default_sample_type = 1;
    p.period_type = {"cpu", "nanoseconds"};
    p.period = 1001001;
    p.time_nanos = 1700000000000000000;
    p.duration_nanos = 2000000000;
    p.comments = {"kiln test"};
    Mapping app;
    app.start = 1ull << 40;
    app.limit = (1ull << 40) + 0x10000;
    app.file = "/usr/bin/app";
    app.build_id = "0123456789abcdef0123456789abcdef01234567";
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
                   {"do_syscall_64", "do_syscall_64", "", 0}};
    Location inl;  // mix_step inlined into outer
    inl.mapping = 1;
    inl.address = app.start + 0x1234;
    inl.lines = {{2, 7}, {1, 25}};
    Location caller;
    caller.mapping = 1;
    caller.address = app.start + 0x1100;
    caller.lines = {{0, 12}};
    Location k;
    k.mapping = 2;
    k.address = 0xffffffff81000100;
    k.kind = FrameKind::Kernel;
    k.lines = {{3, 0}};
    p.locations = {inl, caller, k};
    Sample hot;
    hot.locations = {0, 1};
    hot.values = {3, 3000};
    hot.labels = {{"pid", "", 42}, {"tid", "", 43}, {"comm", "app", 0}};
    Sample sys;
    sys.locations = {2, 1};
    sys.values = {1, 1000};
    sys.labels = {{"pid", "", 42}, {"tid", "", 42}, {"comm", "app", 0}};
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
    inflateEnd(&z);
    return out;
}

TEST(Pprof, RoundTripKeepsEveryField) {
    auto bytes = encode_pprof(sample_profile());
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    ASSERT_GE(bytes->size(), 2u);
    EXPECT_EQ((*bytes)[0], 0x1f);  // gzip magic
    EXPECT_EQ((*bytes)[1], 0x8b);
    pb::Profile p;
    ASSERT_TRUE(p.ParseFromString(gunzip(*bytes)));
    auto str = [&p](int64_t i) {
        EXPECT_GE(i, 0);
        EXPECT_LT(i, p.string_table_size());
        return p.string_table(static_cast<int>(i));
    };
    ASSERT_GT(p.string_table_size(), 0);
    EXPECT_EQ(p.string_table(0), "");
    ASSERT_EQ(p.sample_type_size(), 2);
    EXPECT_EQ(str(p.sample_type(1).type()), "cpu");
    EXPECT_EQ(str(p.sample_type(1).unit()), "nanoseconds");
    EXPECT_EQ(str(p.default_sample_type()), "cpu");
    EXPECT_EQ(str(p.period_type().type()), "cpu");
    EXPECT_EQ(p.period(), 1001001);
    EXPECT_EQ(p.time_nanos(), 1700000000000000000);
    EXPECT_EQ(p.duration_nanos(), 2000000000);
    ASSERT_EQ(p.comment_size(), 1);
    EXPECT_EQ(str(p.comment(0)), "kiln test");

    ASSERT_EQ(p.mapping_size(), 2);
    EXPECT_EQ(p.mapping(0).id(), 1u);
    EXPECT_EQ(str(p.mapping(0).filename()), "/usr/bin/app");
    EXPECT_EQ(str(p.mapping(0).build_id()), "0123456789abcdef0123456789abcdef01234567");
    EXPECT_TRUE(p.mapping(0).has_inline_frames());
    EXPECT_EQ(p.mapping(0).memory_start(), 1ull << 40);

    ASSERT_EQ(p.function_size(), 4);
    EXPECT_EQ(str(p.function(1).name()), "outer(int)");
    EXPECT_EQ(str(p.function(1).system_name()), "_Z5outeri");
    EXPECT_EQ(str(p.function(1).filename()), "app.cc");
    EXPECT_EQ(p.function(1).start_line(), 20);

    ASSERT_EQ(p.location_size(), 3);
    const auto& inl = p.location(0);
    EXPECT_EQ(inl.id(), 1u);
    EXPECT_EQ(inl.mapping_id(), 1u);
    ASSERT_EQ(inl.line_size(), 2);  // innermost first
    EXPECT_EQ(str(p.function(static_cast<int>(inl.line(0).function_id() - 1)).name()), "mix_step");
    EXPECT_EQ(inl.line(0).line(), 7);
    EXPECT_EQ(str(p.function(static_cast<int>(inl.line(1).function_id() - 1)).name()), "outer(int)");
    EXPECT_EQ(inl.line(1).line(), 25);

    ASSERT_EQ(p.sample_size(), 2);
    const auto& s = p.sample(0);
    ASSERT_EQ(s.location_id_size(), 2);
    EXPECT_EQ(s.location_id(0), 1u);  // leaf first
    EXPECT_EQ(s.location_id(1), 2u);
    ASSERT_EQ(s.value_size(), 2);
    EXPECT_EQ(s.value(1), 3000);
    ASSERT_EQ(s.label_size(), 3);
    EXPECT_EQ(str(s.label(0).key()), "pid");
    EXPECT_EQ(s.label(0).num(), 42);
    EXPECT_EQ(str(s.label(2).key()), "comm");
    EXPECT_EQ(str(s.label(2).str()), "app");
    for (const auto& loc : p.location())
        for (const auto& line : loc.line()) {
            EXPECT_GE(line.function_id(), 1u);
            EXPECT_LE(line.function_id(), 4u);
        }
}

int run(const std::string& cmd, std::string& out) {
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    size_t n;
    out.clear();
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

class GoPprof : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(access("/usr/bin/go", X_OK), 0) << "go tool pprof is the reference reader; install golang-go";
        dir_ = ::testing::TempDir() + "/pprof-home";
        ASSERT_EQ(std::system(("mkdir -p " + dir_).c_str()), 0);
    }
    // go tool pprof with no network, no symbolization and a private HOME.
    int pprof(const std::string& args, const std::string& file, std::string& out) {
        return run("HOME=" + dir_ + " PPROF_BINARY_PATH=" + dir_ + " PPROF_TMPDIR=" + dir_ +
                       " timeout 300 /usr/bin/go tool pprof -symbolize=none " + args + " " + file + " 2>&1",
                   out);
    }
    std::string dir_;
};

TEST_F(GoPprof, TopNamesTheHotFunctionsWithTheirValues) {
    const std::string file = ::testing::TempDir() + "/test.pb.gz";
    ASSERT_TRUE(write_pprof(sample_profile(), file).ok());
    std::string out;
    ASSERT_EQ(pprof("-top", file, out), 0) << out;
    EXPECT_NE(out.find("Type: cpu"), std::string::npos) << out;
    // mix_step has the 3 µs flat; do_syscall_64 1 µs; outer(int) and main are callers only.
    EXPECT_NE(out.find("3us 75.00% 75.00%        3us 75.00%  mix_step"), std::string::npos) << out;
    EXPECT_NE(out.find("do_syscall_64"), std::string::npos) << out;
    ASSERT_EQ(pprof("-top -sample_index=samples", file, out), 0) << out;
    EXPECT_NE(out.find("3 75.00%"), std::string::npos) << out;
}

TEST_F(GoPprof, TracesShowInlinedFramesAndLabels) {
    const std::string file = ::testing::TempDir() + "/traces.pb.gz";
    ASSERT_TRUE(write_pprof(sample_profile(), file).ok());
    std::string out;
    ASSERT_EQ(pprof("-traces", file, out), 0) << out;
    EXPECT_NE(out.find("mix_step"), std::string::npos) << out;
    EXPECT_NE(out.find("(inline)"), std::string::npos) << out;
    EXPECT_NE(out.find("outer(int)"), std::string::npos) << out;
    EXPECT_NE(out.find("comm:  app"), std::string::npos) << out;
    EXPECT_NE(out.find("pid:  42"), std::string::npos) << out;
}

TEST_F(GoPprof, EmptyProfileIsStillValid) {
    Profile p;
    p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    const std::string file = ::testing::TempDir() + "/empty.pb.gz";
    ASSERT_TRUE(write_pprof(p, file).ok());
    std::string out;
    EXPECT_EQ(pprof("-top", file, out), 0) << out;
}

TEST(Pprof, UnwritablePathIsNamedInTheError) {
    Status st = write_pprof(sample_profile(), "/nonexistent-dir/x.pb.gz");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/nonexistent-dir/x.pb.gz"), std::string::npos);
}

}  // namespace
}  // namespace kiln::analyzer
