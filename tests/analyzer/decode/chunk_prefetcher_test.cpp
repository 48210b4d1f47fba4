#include "analyzer/decode/chunk_prefetcher.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "formats/chunk_writer.h"
#include "formats/recording_header.h"
#include "tests/temp_dir.h"
#include "tests/thread_count.h"

namespace kiln::analyzer {
namespace {

// A recording of `chunks` records chunks of different sizes and contents (every 8th stored
// uncompressed), the reader's buffers grow and shrink under the prefetcher.
std::string write_chunks(const kiln::test::TempDir& dir, int chunks) {
    const std::string path = dir.path("chunks.kiln");
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    {
        format::ChunkWriter zstd(fd, path, 1), stored(fd, path, 0);
        EXPECT_TRUE(zstd.write_preamble().ok());
        format::RecordingHeader header;
        header.hostname = "test";
        EXPECT_TRUE(zstd.write_chunk(format::ChunkType::kHeader, format::encode(header)).ok());
        for (int i = 0; i < chunks; ++i) {
            std::vector<uint8_t> bytes(static_cast<size_t>(1000 + 7919 * (i % 13)));
            for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<uint8_t>(i * 31 + j / 64);
            auto& w = i % 8 == 7 ? stored : zstd;
            EXPECT_TRUE(w.write_chunk(format::ChunkType::kPerfRecords, bytes).ok());
        }
    }
    ::close(fd);
    return path;
}

struct SeenChunk {
    format::ChunkType type;
    uint64_t offset;
    std::vector<uint8_t> bytes;
};

std::vector<SeenChunk> read_plainly(const std::string& path) {
    auto reader = format::RecordingReader::open(path);
    EXPECT_TRUE(reader.ok());
    std::vector<SeenChunk> out;
    for (;;) {
        auto c = (*reader)->next();
        EXPECT_TRUE(c.ok());
        if (!c.ok() || !*c) break;
        out.push_back({(*c)->type, (*c)->file_offset, {(*c)->data.begin(), (*c)->data.end()}});
    }
    return out;
}

TEST(ChunkPrefetcher, DeliversEveryChunkInFileOrderWithItsBytes) {
    const kiln::test::TempDir tmp;
    const std::string path = write_chunks(tmp, 40);
    const auto expected = read_plainly(path);
    ASSERT_EQ(expected.size(), 40u);  // the header chunk is not among them
    for (size_t depth : {1u, 2u, 8u}) {
        auto reader = format::RecordingReader::open(path);
        ASSERT_TRUE(reader.ok());
        ChunkPrefetcher chunks(**reader, depth);
        size_t i = 0;
        for (;; ++i) {
            auto c = chunks.next();
            ASSERT_TRUE(c.ok()) << c.error().message;
            if (!*c) break;
            ASSERT_LT(i, expected.size());
            EXPECT_EQ((*c)->type, expected[i].type);
            EXPECT_EQ((*c)->file_offset, expected[i].offset);
            const auto data = (*c)->data();
            EXPECT_EQ(std::vector<uint8_t>(data.begin(), data.end()), expected[i].bytes) << "chunk " << i;
            // Half the buffers come back, as the round sorter returns delivered blocks.
            if (i % 2 == 0) chunks.recycle(std::move((*c)->buffer));
        }
        EXPECT_EQ(i, expected.size()) << "depth " << depth;
        // After the end, next() keeps saying so.
        auto again = chunks.next();
        ASSERT_TRUE(again.ok());
        EXPECT_FALSE(again->has_value());
    }
}

TEST(ChunkPrefetcher, StopsCleanlyWhenTheCallerLeavesEarly) {
    const kiln::test::TempDir tmp;
    const std::string path = write_chunks(tmp, 40);
    auto reader = format::RecordingReader::open(path);
    ASSERT_TRUE(reader.ok());
    const size_t threads_before = kiln::test::threads_of_this_process();
    {
        ChunkPrefetcher chunks(**reader, 2);
        auto c = chunks.next();
        ASSERT_TRUE(c.ok());
        ASSERT_TRUE(c->has_value());
        EXPECT_EQ((*c)->type, format::ChunkType::kPerfRecords);
        EXPECT_EQ(kiln::test::threads_of_this_process(), threads_before + 1) << "no prefetching thread";
    }  // the destructor stops the thread while it waits for room
    EXPECT_EQ(kiln::test::threads_of_this_process(), threads_before) << "the prefetching thread outlived its prefetcher";
}

}  // namespace
}  // namespace kiln::analyzer
