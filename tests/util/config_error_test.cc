#include "util/config_error.h"

#include <gtest/gtest.h>

#include <string>

namespace tlsgate {
namespace {

TEST(ConfigErrorTest, ReadsFileLineColumnKeyAndReason) {
  const ConfigError error(SourceMark{"tlsgate.yaml", 3, 7}, "listeners[0].name", "is empty");
  EXPECT_STREQ(error.what(), "tlsgate.yaml:3:7: listeners[0].name: is empty");
}

TEST(ConfigErrorTest, EveryMessageIsOneLineWithoutControlBytes) {
  const ConfigError marked(SourceMark{"a.yaml", 1, 1}, "k\n", "value 'x\r\n\x1b]0;title\x07'");
  EXPECT_STREQ(marked.what(), "a.yaml:1:1: k\\x0a: value 'x\\x0d\\x0a\\x1b]0;title\\x07'");
  const ConfigError plain("stunnel.conf:4: cert '/a\tb'");
  EXPECT_STREQ(plain.what(), "stunnel.conf:4: cert '/a\\x09b'");
  // A message made from another one's keeps its escapes as they are.
  const ConfigError again(std::string("wrapped: ") + marked.what());
  EXPECT_EQ(std::string(again.what()), std::string("wrapped: ") + marked.what());
}

}  // namespace
}  // namespace tlsgate
