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

namespace tlsgate {
namespace {

TEST(TextTest, LowerCaseChangesAsciiLettersOnly) {
  EXPECT_EQ(lowerCase("CAfile = /Etc/X"), "cafile = /etc/x");
  EXPECT_EQ(lowerCase("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // "Été": bytes above 0x7f stay
}

TEST(TextTest, ControlBytesAreEscapedAndTheRestStays) {
  EXPECT_EQ(escapeControlBytes("a\r\nb\tc\x1b[0m\x7f"), "a\\x0d\\x0ab\\x09c\\x1b[0m\\x7f");
  EXPECT_EQ(escapeControlBytes(std::string("nul\0byte", 8)), "nul\\x00byte");
  EXPECT_EQ(escapeControlBytes("caf\xC3\xA9 \\x41 ~"),
            "caf\xC3\xA9 \\x41 ~");  // é and a backslash stay
  EXPECT_EQ(escapeControlBytes(""), "");
}

TEST(TextTest, Utf8IsCheckedAsRfc3629SaysIt) {
  EXPECT_TRUE(isUtf8(""));
  EXPECT_TRUE(isUtf8("plain ascii"));
  EXPECT_TRUE(isUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x92"));  // é, €, a lock
  EXPECT_FALSE(isUtf8("caf\xE9"));                                   // Latin-1
  EXPECT_FALSE(isUtf8("\xC0\xAF"));                                  // overlong '/'
  EXPECT_FALSE(isUtf8("\xE0\x80\xAF"));                              // overlong, three bytes
  EXPECT_FALSE(isUtf8("\xED\xA0\x80"));                              // a surrogate
  EXPECT_FALSE(isUtf8("\xF4\x90\x80\x80"));                          // above U+10FFFF
  EXPECT_FALSE(isUtf8("\xE2\x82"));                                  // cut short
  EXPECT_FALSE(isUtf8("\x80"));                                      // a lone continuation
}

}  // namespace
}  // namespace tlsgate
