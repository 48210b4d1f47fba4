// Opening binaries on a preloading thread gives what opening them inline gives.
#include "analyzer/symbolize/binary_preloader.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/analyzer/symbolize/elf_test_util.h"

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
    {
        BinaryPreloader preloader(locator);
        for (const auto& p : {TARGET_PIE, TARGET_NOPIE, TARGET_LIB}) preloader.request(p, build_id_of(p));
    }  // destroyed without opening any: the thread finishes what it started and stops
    SUCCEED();
}

}  // namespace
}  // namespace kiln::analyzer
