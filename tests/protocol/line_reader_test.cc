#include "protocol/line_reader.h"

#include <gtest/gtest.h>

#include <string_view>

namespace tlsgate {
namespace {

void put(ByteQueue& queue, std::string_view text) {
  queue.append(std::as_bytes(std::span(text.data(), text.size())));
}

TEST(LineReaderTest, TakesOneLineAndLeavesTheRest) {
  BufferPool pool(16);
  ByteQueue in(pool);
  put(in, "220 ready\r\n\x16\x03\x01");
  LineReader reader(100);
  std::string line;
  ASSERT_EQ(reader.next(in, line), LineReader::Status::line);
  EXPECT_EQ(line, "220 ready");
  EXPECT_EQ(in.size(), 3U);  // the TLS bytes stay for the handshake
}

TEST(LineReaderTest, JoinsALineSplitAcrossReadsAndChunks) {
  BufferPool pool(4);  // lines span several chunks
  ByteQueue in(pool);
  LineReader reader(100);
  std::string line;
  put(in, "250-mx.exam");
  EXPECT_EQ(reader.next(in, line), LineReader::Status::need_input);
  put(in, "ple.com\nnext");
  ASSERT_EQ(reader.next(in, line), LineReader::Status::line);
  EXPECT_EQ(line, "250-mx.example.com");
  EXPECT_EQ(reader.next(in, line), LineReader::Status::need_input);
  EXPECT_EQ(reader.pending(), 4U);
}

TEST(LineReaderTest, RefusesALineLongerThanTheBound) {
  BufferPool pool(64);
  ByteQueue in(pool);
  LineReader reader(8);
  std::string line;
  put(in, "123456789");
  EXPECT_EQ(reader.next(in, line), LineReader::Status::too_long);
  ByteQueue fits(pool);
  LineReader exact(8);
  put(fits, "12345678\r\n");
  // The CR counts toward the bound; the LF does not.
  EXPECT_EQ(exact.next(fits, line), LineReader::Status::too_long);
}

}  // namespace
}  // namespace tlsgate
