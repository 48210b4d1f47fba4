// Finding binaries by build-id: recorded path, debug directories, symfs; never a file whose
// build-id differs. (debuginfod: debuginfod_test.cpp.)
#include "analyzer/symbolize/binary_locator.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "formats/sideband.h"
#include "tests/analyzer/symbolize/elf_test_util.h"
#include "tests/temp_dir.h"

namespace kiln::analyzer {
namespace {

using kiln::testing::build_id_of;
using kiln::testing::no_system_dirs;
using kiln::testing::shell;

TEST(BinaryLocator, RecordedPathWithMatchingBuildId) {
    BinaryLocator loc(no_system_dirs());
    auto b = loc.locate(TARGET_PIE, build_id_of(TARGET_PIE));
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, TARGET_PIE);
    EXPECT_EQ(b->found_via, "recorded path");
    EXPECT_EQ(b->debug_path, "");  // has its own DWARF
}

TEST(BinaryLocator, RebuiltFileIsRefusedNamingBothBuildIds) {
    BinaryLocator loc(no_system_dirs());
    // The recording saw the nopie build; the file now at that path is another build.
    const auto recorded = build_id_of(TARGET_NOPIE);
    ASSERT_EQ(format::build_id_hex(build_id_of(TARGET_OTHERID)), "00112233445566778899aabbccddeeff00112233");
    auto b = loc.locate(TARGET_OTHERID, recorded);
    ASSERT_FALSE(b.ok());
    const std::string& msg = b.error().message;
    EXPECT_EQ(msg.rfind(std::string(TARGET_OTHERID) + ": build-id mismatch", 0), 0u) << msg;
    EXPECT_NE(msg.find("recorded " + format::build_id_hex(recorded)), std::string::npos) << msg;
    EXPECT_NE(msg.find("has 00112233445566778899aabbccddeeff00112233"), std::string::npos) << msg;
}

TEST(BinaryLocator, RebuiltFileIsSkippedForTheRightBuildInADebugDirectory) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const auto recorded = build_id_of(TARGET_NOPIE);
    const std::string hex = format::build_id_hex(recorded);
    const std::string kept = dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2);
    shell("mkdir -p " + dir + "/.build-id/" + hex.substr(0, 2) + " && cp " + TARGET_NOPIE + " " + kept);
    LocatorOptions o = no_system_dirs();
    o.debug_dirs = {"/nonexistent-debug", dir};
    BinaryLocator loc(o);
    auto b = loc.locate(TARGET_OTHERID, recorded);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, kept);
    EXPECT_EQ(b->found_via, dir + "/.build-id");
}

TEST(BinaryLocator, WrongFileInTheBuildIdTreeIsNeverUsed) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const auto recorded = build_id_of(TARGET_PIE);
    const std::string hex = format::build_id_hex(recorded);
    const std::string wrong = dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2);
    shell("mkdir -p " + dir + "/.build-id/" + hex.substr(0, 2) + " && cp " + TARGET_OTHERID + " " + wrong);
    LocatorOptions o = no_system_dirs();
    o.debug_dirs = {dir};
    BinaryLocator loc(o);
    auto b = loc.locate("/nonexistent/app", recorded);
    ASSERT_FALSE(b.ok());
    const std::string& msg = b.error().message;
    EXPECT_NE(msg.find("build-id mismatch: recorded " + hex), std::string::npos) << msg;
    EXPECT_NE(msg.find(wrong + " has 00112233445566778899aabbccddeeff00112233"), std::string::npos) << msg;
    EXPECT_NE(msg.find("/nonexistent/app"), std::string::npos) << msg;
}

TEST(BinaryLocator, ResultsAreCachedPerPathAndBuildId) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string bin = dir + "/app";
    shell(std::string("cp ") + TARGET_PIE + " " + bin);
    BinaryLocator loc(no_system_dirs());
    const auto id = build_id_of(TARGET_PIE);
    auto first = loc.locate(bin, id);
    ASSERT_TRUE(first.ok()) << first.error().message;
    shell("rm " + bin);
    auto again = loc.locate(bin, id);  // not looked up again
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->path, bin);
    auto other = loc.locate(bin, build_id_of(TARGET_NOPIE));  // another key: looked up, gone
    EXPECT_FALSE(other.ok());
}

TEST(BinaryLocator, DebugFileNamedByGnuDebuglinkBesideTheBinary) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const std::string bin = dir + "/app";
    shell(std::string("cp ") + TARGET_PIE + " " + bin + " && cd " + dir +
          " && objcopy --only-keep-debug app app.dbg && strip --strip-all app && objcopy --add-gnu-debuglink=app.dbg app");
    ASSERT_EQ(gnu_debuglink(bin), "app.dbg");
    BinaryLocator loc(no_system_dirs());
    auto b = loc.locate(bin, build_id_of(TARGET_PIE));
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, bin);
    EXPECT_EQ(b->debug_path, dir + "/app.dbg");
    // A debug file of another build under the linked name is not taken.
    shell(std::string("cd ") + dir + " && objcopy --only-keep-debug " + TARGET_OTHERID + " app.dbg");
    BinaryLocator fresh(no_system_dirs());
    auto c = fresh.locate(bin, build_id_of(TARGET_PIE));
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->debug_path, "");
}

TEST(BinaryLocator, MissingFileNamesTheBuildIdAndWhereItLooked) {
    LocatorOptions o = no_system_dirs();
    o.debug_dirs = {"/nonexistent-debug"};
    BinaryLocator loc(o);
    const auto id = build_id_of(TARGET_PIE);
    auto b = loc.locate("/nonexistent/app", id);
    ASSERT_FALSE(b.ok());
    const std::string hex = format::build_id_hex(id);
    EXPECT_NE(b.error().message.find("not found (build-id " + hex + ")"), std::string::npos) << b.error().message;
    EXPECT_NE(b.error().message.find("/nonexistent-debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2)),
              std::string::npos)
        << b.error().message;
}

TEST(BinaryLocator, NoBuildIdRecordedUsesTheRecordedPath) {
    BinaryLocator loc(no_system_dirs());
    auto b = loc.locate(TARGET_OTHERID, {});  // whatever its build-id
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->path, TARGET_OTHERID);
    EXPECT_EQ(b->found_via, "recorded path (no build-id recorded)");
    auto gone = loc.locate("/nonexistent/app", {});
    ASSERT_FALSE(gone.ok());
    EXPECT_NE(gone.error().message.find("/nonexistent/app: not found"), std::string::npos) << gone.error().message;
    EXPECT_NE(gone.error().message.find("no build-id recorded"), std::string::npos) << gone.error().message;
}

TEST(BinaryLocator, DebugDirectoryHoldsTheBinaryAndItsDebugFile) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    const auto id = build_id_of(TARGET_PIE);
    const std::string hex = format::build_id_hex(id);
    const std::string sub = dir + "/.build-id/" + hex.substr(0, 2);
    const std::string stripped = dir + "/stripped-app";
    shell("mkdir -p " + sub + " && cp " + TARGET_PIE + " " + stripped + " && objcopy --only-keep-debug " + stripped +
          " " + sub + "/" + hex.substr(2) + ".debug && strip --strip-all " + stripped);
    LocatorOptions o = no_system_dirs();
    o.debug_dirs = {dir};
    BinaryLocator loc(o);
    // The stripped binary at its recorded path, its DWARF in the .build-id tree.
    auto b = loc.locate(stripped, id);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, stripped);
    EXPECT_EQ(b->debug_path, sub + "/" + hex.substr(2) + ".debug");
    // The binary gone from its path but kept in the tree (as debuginfod caches and
    // /usr/lib/debug do).
    shell(std::string("cp ") + TARGET_PIE + " " + sub + "/" + hex.substr(2));
    auto gone = loc.locate("/nonexistent/app", id);
    ASSERT_TRUE(gone.ok()) << gone.error().message;
    EXPECT_EQ(gone->path, sub + "/" + hex.substr(2));
    EXPECT_EQ(gone->found_via, dir + "/.build-id");
    EXPECT_EQ(gone->debug_path, "");  // that copy has its own DWARF
}

TEST(BinaryLocator, SymfsRoot) {
    const kiln::test::TempDir tmp;
    const std::string dir = tmp.dir();
    shell("mkdir -p " + dir + "/opt/app && cp " + TARGET_PIE + " " + dir + "/opt/app/server");
    LocatorOptions o = no_system_dirs();
    o.symfs = dir;
    BinaryLocator loc(o);
    auto b = loc.locate("/opt/app/server", build_id_of(TARGET_PIE));
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->path, dir + "/opt/app/server");
    EXPECT_EQ(b->found_via, "symfs");
}

// Why a lookup failed, as a kind (the unwinder's report names the fix by it), also when the
// answer comes from the cache.
TEST(BinaryLocator, FailureKindSaysNotFoundOrMismatch) {
    BinaryLocator loc(no_system_dirs());
    LocateFailure why = LocateFailure::kNotFound;
    ASSERT_TRUE(loc.locate(TARGET_PIE, build_id_of(TARGET_PIE), &why).ok());
    EXPECT_EQ(why, LocateFailure::kNone);
    for (int pass = 0; pass < 2; ++pass) {
        EXPECT_FALSE(loc.locate(TARGET_OTHERID, build_id_of(TARGET_NOPIE), &why).ok());
        EXPECT_EQ(why, LocateFailure::kBuildIdMismatch);
        EXPECT_FALSE(loc.locate("/nonexistent/app", build_id_of(TARGET_PIE), &why).ok());
        EXPECT_EQ(why, LocateFailure::kNotFound);
        EXPECT_FALSE(loc.locate("/nonexistent/app", {}, &why).ok());
        EXPECT_EQ(why, LocateFailure::kNotFound);
    }
}

}  // namespace
}  // namespace kiln::analyzer
