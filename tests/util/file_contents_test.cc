#include "util/file_contents.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "support/temp_dir.h"

namespace tlsgate {
namespace {

class FileContentsTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(FileContentsTest, ReadsEveryByteUnchanged) {
  // Larger than one read chunk, with NUL and CR LF bytes.
  std::string bytes(20000, 'x');
  bytes[0] = '\0';
  bytes[9000] = '\r';
  bytes[9001] = '\n';
  FileContents file = readWholeFile(dir_.write("data", bytes));
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(file.opened);
  EXPECT_EQ(file.bytes, bytes);
}

TEST_F(FileContentsTest, ReadsAnEmptyFile) {
  FileContents file = readWholeFile(dir_.write("empty", ""));
  EXPECT_TRUE(file.ok());
  EXPECT_TRUE(file.bytes.empty());
}

TEST_F(FileContentsTest, AMissingFileFailsToOpen) {
  FileContents file = readWholeFile(dir_.file("missing"));
  EXPECT_FALSE(file.ok());
  EXPECT_FALSE(file.opened);
  EXPECT_EQ(file.error, ENOENT);
}

TEST_F(FileContentsTest, ADirectoryOpensButFailsToRead) {
  FileContents file = readWholeFile(dir_.path());
  EXPECT_FALSE(file.ok());
  EXPECT_TRUE(file.opened);
  EXPECT_EQ(file.error, EISDIR);
  EXPECT_TRUE(file.bytes.empty());
}

}  // namespace
}  // namespace tlsgate
