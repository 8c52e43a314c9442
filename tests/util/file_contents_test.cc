#include "util/file_contents.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>

namespace tlsgate {
namespace {

class FileContentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tlsgate-file-contents-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    std::FILE* file = std::fopen(path.c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fclose(file);
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(FileContentsTest, ReadsEveryByteUnchanged) {
  // Larger than one read chunk, with NUL and CR LF bytes.
  std::string bytes(20000, 'x');
  bytes[0] = '\0';
  bytes[9000] = '\r';
  bytes[9001] = '\n';
  FileContents file = readWholeFile(write("data", bytes));
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(file.opened);
  EXPECT_EQ(file.bytes, bytes);
}

TEST_F(FileContentsTest, ReadsAnEmptyFile) {
  FileContents file = readWholeFile(write("empty", ""));
  EXPECT_TRUE(file.ok());
  EXPECT_TRUE(file.bytes.empty());
}

TEST_F(FileContentsTest, AMissingFileFailsToOpen) {
  FileContents file = readWholeFile((dir_ / "missing").string());
  EXPECT_FALSE(file.ok());
  EXPECT_FALSE(file.opened);
  EXPECT_EQ(file.error, ENOENT);
}

TEST_F(FileContentsTest, ADirectoryOpensButFailsToRead) {
  FileContents file = readWholeFile(dir_.string());
  EXPECT_FALSE(file.ok());
  EXPECT_TRUE(file.opened);
  EXPECT_EQ(file.error, EISDIR);
  EXPECT_TRUE(file.bytes.empty());
}

}  // namespace
}  // namespace tlsgate
