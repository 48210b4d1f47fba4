#include "analyzer/model/process_model.h"

#include <gtest/gtest.h>

namespace kiln::analyzer {
namespace {

constexpr uint32_t kRX = 5;  // PROT_READ | PROT_EXEC

TEST(AddressSpace, NewMappingCutsTheOnesItOverlaps) {
    AddressSpace s;
    s.insert({0x1000, 0x5000, 0x0, 1});
    s.insert({0x2000, 0x3000, 0x100000, 2});
    ASSERT_NE(s.find(0x1fff), nullptr);
    EXPECT_EQ(s.find(0x1fff)->dso, 1u);
    EXPECT_EQ(s.find(0x2000)->dso, 2u);
    EXPECT_EQ(s.find(0x2fff)->dso, 2u);
    // The right remainder keeps its file offset in step with its address.
    const MapEntry* right = s.find(0x3000);
    ASSERT_NE(right, nullptr);
    EXPECT_EQ(right->dso, 1u);
    EXPECT_EQ(right->start, 0x3000u);
    EXPECT_EQ(right->pgoff, 0x2000u);
    EXPECT_EQ(s.find(0x5000), nullptr);
    EXPECT_EQ(s.find(0x0fff), nullptr);
    EXPECT_EQ(s.size(), 3u);
}

TEST(ProcessModel, ForkSharesUntilEitherSideMaps) {
    ProcessModel m;
    m.comm(10, 10, "parent", false);
    m.mmap(10, 0x400000, 0x1000, 0, kRX, "/bin/a", {});
    m.fork(11, 10, 11);
    ASSERT_NE(m.find(11, 0x400010), nullptr);
    EXPECT_EQ(m.process_name(11), "parent");
    m.mmap(11, 0x500000, 0x1000, 0, kRX, "/bin/b", {});
    EXPECT_NE(m.find(11, 0x500000), nullptr);
    EXPECT_EQ(m.find(10, 0x500000), nullptr) << "the child's mapping leaked into the parent";
}

TEST(ProcessModel, ExecStartsAFreshAddressSpaceAndName) {
    ProcessModel m;
    m.mmap(20, 0x400000, 0x1000, 0, kRX, "/bin/sh", {});
    m.comm(20, 20, "sh", false);
    m.comm(20, 20, "python3", true);
    EXPECT_EQ(m.find(20, 0x400000), nullptr);
    EXPECT_EQ(m.process_name(20), "python3");
}

TEST(ProcessModel, ThreadNamesDoNotRenameTheProcess) {
    ProcessModel m;
    m.comm(30, 30, "server", false);
    m.comm(30, 31, "worker-1", false);
    EXPECT_EQ(m.process_name(30), "server");
    EXPECT_EQ(m.thread_name(30, 31), "worker-1");
    EXPECT_EQ(m.thread_name(30, 32), "server");
    EXPECT_EQ(m.process_name(99), "[pid 99]");
}

TEST(ProcessModel, SnapshotDoesNotOverrideNewerRecords) {
    ProcessModel m;
    m.mmap(40, 0x400000, 0x1000, 0, kRX, "/bin/new", {});
    format::ProcessSnapshot snap;
    format::ProcessEntry pe;
    pe.pid = 40;
    pe.comm = "old";
    format::MappingEntry me;
    me.start = 0x400000;
    me.end = 0x401000;
    me.prot = kRX;
    me.path = "/bin/old";
    pe.maps.push_back(me);
    snap.processes.push_back(pe);
    format::ProcessEntry other = pe;
    other.pid = 41;
    snap.processes.push_back(other);
    m.apply_snapshot(snap);
    EXPECT_EQ(m.dsos()[m.find(40, 0x400000)->dso].path, "/bin/new");
    EXPECT_EQ(m.dsos()[m.find(41, 0x400000)->dso].path, "/bin/old");
}

TEST(ProcessModel, DataMappingsReplaceCodeAndAnonymousCodeIsPerProcess) {
    ProcessModel m;
    m.mmap(50, 0x7f0000000000, 0x1000, 0, kRX, "//anon", {});
    m.mmap(51, 0x7f0000000000, 0x1000, 0, kRX, "//anon", {});
    EXPECT_NE(m.find(50, 0x7f0000000000)->dso, m.find(51, 0x7f0000000000)->dso);
    EXPECT_EQ(m.dsos()[m.find(50, 0x7f0000000000)->dso].kind, Dso::Kind::Anonymous);
    m.mmap(50, 0x7f0000000000, 0x1000, 0, 3, "/data", {});
    EXPECT_EQ(m.dsos()[m.find(50, 0x7f0000000000)->dso].path, "[data]");
}

TEST(ProcessModel, LateBuildIdsFillMappingsTheKernelGaveNone) {
    ProcessModel m;
    const uint8_t known[] = {1, 2, 3};
    m.mmap(60, 0x400000, 0x1000, 0, kRX, "/bin/x", {});
    m.mmap(60, 0x500000, 0x1000, 0, kRX, "/bin/y", known);
    format::BuildIdTable t;
    t.entries.push_back({-1, "/bin/x", {9, 9}});
    t.entries.push_back({-1, "/bin/y", {8, 8}});
    m.apply_build_ids(t);
    EXPECT_EQ(m.dsos()[m.find(60, 0x400000)->dso].build_id, (std::vector<uint8_t>{9, 9}));
    EXPECT_EQ(m.dsos()[m.find(60, 0x500000)->dso].build_id, (std::vector<uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace kiln::analyzer
