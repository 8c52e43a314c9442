#include "util/secret_line.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "support/temp_dir.h"

namespace tlsgate {
namespace {

class SecretLineTest : public ::testing::Test {
 protected:
  std::string write(const std::string& bytes) const { return dir_.write("secret", bytes); }

  TempDir dir_;
};

TEST_F(SecretLineTest, KeepsTheFirstLineWithoutItsEnding) {
  const SecretLine lf(write("user:pass\nsecond line\n"), 64);
  ASSERT_TRUE(lf.ok());
  EXPECT_EQ(lf.text(), "user:pass");
  const SecretLine crlf(write("user:pass\r\nsecond\r\n"), 64);
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(crlf.text(), "user:pass");
}

TEST_F(SecretLineTest, ALastLineNeedsNoEnding) {
  const SecretLine line(write("token"), 64);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line.text(), "token");
}

TEST_F(SecretLineTest, AnEmptyFileIsAnEmptyLine) {
  const SecretLine line(write(""), 64);
  ASSERT_TRUE(line.ok());
  EXPECT_TRUE(line.text().empty());
}

TEST_F(SecretLineTest, TheLimitCountsTheLineWithoutItsEnding) {
  const std::string longest(8, 'x');
  for (const std::string& ending : {std::string(), std::string("\n"), std::string("\r\n")}) {
    const SecretLine line(write(longest + ending + (ending.empty() ? "" : "next")), 8);
    ASSERT_TRUE(line.ok()) << "ending of " << ending.size() << " bytes";
    EXPECT_EQ(line.text(), longest);
  }
}

TEST_F(SecretLineTest, ALongerLineIsRefusedAndNotKept) {
  for (const std::string& bytes : {std::string(9, 'x'), std::string(9, 'x') + "\r\n",
                                   std::string(8, 'x') + "\r\r\n", std::string(5000, 'x')}) {
    const SecretLine line(write(bytes), 8);
    EXPECT_TRUE(line.tooLong()) << bytes.size() << " bytes";
    EXPECT_FALSE(line.ok());
    EXPECT_EQ(line.error(), 0);
    EXPECT_TRUE(line.text().empty());
  }
}

TEST_F(SecretLineTest, AMissingFileGivesItsErrno) {
  const SecretLine line(dir_.file("missing"), 64);
  EXPECT_FALSE(line.ok());
  EXPECT_EQ(line.error(), ENOENT);
  EXPECT_FALSE(line.tooLong());
}

TEST_F(SecretLineTest, ADirectoryFailsOnTheRead) {
  const SecretLine line(dir_.path(), 64);
  EXPECT_FALSE(line.ok());
  EXPECT_EQ(line.error(), EISDIR);
}

}  // namespace
}  // namespace tlsgate
