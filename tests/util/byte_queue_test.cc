#include "util/byte_queue.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>

namespace tlsgate {
namespace {

std::span<const std::byte> bytesOf(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

std::string readAll(ByteQueue& queue) {
  std::string out(queue.size(), '\0');
  queue.read({reinterpret_cast<std::byte*>(out.data()), out.size()});
  return out;
}

TEST(ByteQueueTest, KeepsOrderAcrossChunks) {
  BufferPool pool(8, 16);
  ByteQueue queue(pool);
  queue.append(bytesOf("hello, "));
  queue.append(bytesOf("chunked world"));
  EXPECT_EQ(queue.size(), 20U);
  EXPECT_EQ(pool.chunksInUse(), 3U);
  EXPECT_EQ(readAll(queue), "hello, chunked world");
  EXPECT_TRUE(queue.empty());
}

TEST(ByteQueueTest, DrainedQueueReturnsEveryChunk) {
  BufferPool pool(8, 16);
  ByteQueue queue(pool);
  queue.append(bytesOf("0123456789abc"));
  queue.consume(5);
  EXPECT_EQ(pool.chunksInUse(), 2U);
  queue.consume(8);
  EXPECT_EQ(pool.chunksInUse(), 0U);
  EXPECT_EQ(pool.chunksFree(), 2U);
}

TEST(ByteQueueTest, PrepareCommitWritesInPlace) {
  BufferPool pool(16, 4);
  ByteQueue queue(pool);
  auto room = queue.prepare(4);
  ASSERT_GE(room.size(), 4U);
  std::memcpy(room.data(), "abcd", 4);
  queue.commit(4);
  // Less than 16 bytes left: a fresh chunk is taken.
  auto more = queue.prepare(16);
  EXPECT_EQ(more.size(), 16U);
  queue.trimTail();  // the read brought nothing
  EXPECT_EQ(pool.chunksInUse(), 1U);
  EXPECT_EQ(readAll(queue), "abcd");
  EXPECT_EQ(pool.chunksInUse(), 0U);
}

TEST(ByteQueueTest, TrimTailOfAnEmptyQueueHoldsNothing) {
  BufferPool pool(16, 4);
  ByteQueue queue(pool);
  queue.prepare(1);
  EXPECT_EQ(pool.chunksInUse(), 1U);
  queue.trimTail();
  EXPECT_EQ(pool.chunksInUse(), 0U);
}

TEST(ByteQueueTest, GatherRespectsLimits) {
  BufferPool pool(4, 16);
  ByteQueue queue(pool);
  queue.append(bytesOf("aaaabbbbcc"));
  std::array<std::span<const std::byte>, 2> pieces;
  EXPECT_EQ(queue.gather(pieces), 2U);
  EXPECT_EQ(pieces[0].size() + pieces[1].size(), 8U);
  EXPECT_EQ(queue.gather(pieces, 6), 2U);
  EXPECT_EQ(pieces[1].size(), 2U);
}

TEST(ByteQueueTest, PoolKeepsAtMostMaxFree) {
  BufferPool pool(4, 1);
  {
    ByteQueue queue(pool);
    queue.append(bytesOf("0123456789"));
  }
  EXPECT_EQ(pool.chunksInUse(), 0U);
  EXPECT_EQ(pool.chunksFree(), 1U);
}

}  // namespace
}  // namespace tlsgate
