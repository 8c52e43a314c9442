#include "util/text.h"

#include <gtest/gtest.h>

#include <string_view>

namespace tlsgate {
namespace {

TEST(TrimLine, DropsSpacesTabsAndCarriageReturnsAtEitherEnd) {
  EXPECT_EQ(trimLine(" \t key\r"), "key");
  EXPECT_EQ(trimLine("a b\tc"), "a b\tc");
  EXPECT_EQ(trimLine("\r\n"), "\n") << "a newline ends a line; it is not in one";
  EXPECT_EQ(trimLine(" \t\r "), "");
  EXPECT_EQ(trimLine(""), "");
}

TEST(TrimLine, KeepsOtherBytes) {
  EXPECT_EQ(trimLine(std::string_view("\0key\0", 5)), std::string_view("\0key\0", 5));
  EXPECT_EQ(trimLine("\vkey\f"), "\vkey\f");
}

}  // namespace
}  // namespace tlsgate
