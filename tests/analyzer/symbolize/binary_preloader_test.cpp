// Opening binaries on a preloading thread gives what opening them inline gives.
#include "analyzer/symbolize/binary_preloader.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/analyzer/symbolize/elf_test_util.h"
#include "tests/thread_count.h"

namespace kiln::analyzer {
namespace {

using kiln::testing::build_id_of;
using kiln::testing::no_system_dirs;

TEST(BinaryPreloader, RequestedBinariesOpenAsTheyWouldInline) {
    BinaryLocator locator(no_system_dirs());
    BinaryPreloader preloader(locator);
    const std::vector<std::string> paths{TARGET_PIE, TARGET_NOPIE, TARGET_LIB};
    for (const auto& p : paths) preloader.request(p, build_id_of(p));
    preloader.request(TARGET_PIE, build_id_of(TARGET_PIE));  // a repeat is ignored
    for (const auto& p : paths) {
        OpenedBinary b = preloader.open(p, build_id_of(p));
        ASSERT_TRUE(b.located.ok()) << b.located.error().message;
        EXPECT_EQ(b.located->path, p);
        ASSERT_TRUE(b.symbols.ok()) << b.symbols.error().message;
        EXPECT_TRUE((*b.symbols)->has_dwarf()) << p;
    }
}

TEST(BinaryPreloader, UnrequestedAndMissingBinariesAnswerLikeTheLocator) {
    BinaryLocator locator(no_system_dirs());
    BinaryPreloader preloader(locator);
    OpenedBinary b = preloader.open(TARGET_NOPIE, build_id_of(TARGET_NOPIE));  // never requested
    ASSERT_TRUE(b.symbols.ok());

    const std::vector<uint8_t> wrong_id(20, 0xab);
    preloader.request("/nonexistent/libgone.so", wrong_id);
    OpenedBinary missing = preloader.open("/nonexistent/libgone.so", wrong_id);
    ASSERT_FALSE(missing.located.ok());
    EXPECT_NE(missing.located.error().message.find("abababab"), std::string::npos) << missing.located.error().message;
}

TEST(BinaryPreloader, StopsWithRequestsStillQueued) {
    BinaryLocator locator(no_system_dirs());
    const size_t threads_before = kiln::test::threads_of_this_process();
    {
        BinaryPreloader preloader(locator);
        for (const auto& p : {TARGET_PIE, TARGET_NOPIE, TARGET_LIB}) preloader.request(p, build_id_of(p));
        EXPECT_EQ(kiln::test::wait_for_thread_count(threads_before + 1), threads_before + 1) << "no preloading thread";
        // The last one asked for is likely still queued; what open() gives is what was asked.
        OpenedBinary lib = preloader.open(TARGET_LIB, build_id_of(TARGET_LIB));
        ASSERT_TRUE(lib.located.ok()) << lib.located.error().message;
        EXPECT_EQ(lib.located->path, TARGET_LIB);
        ASSERT_TRUE(lib.symbols.ok()) << lib.symbols.error().message;
        preloader.request(TARGET_PIE, build_id_of(TARGET_PIE));  // a repeat, ignored
    }  // destroyed with requests unanswered: the thread finishes what it started and stops
    EXPECT_EQ(kiln::test::threads_of_this_process(), threads_before) << "the preloading thread outlived its preloader";
}

}  // namespace
}  // namespace kiln::analyzer
