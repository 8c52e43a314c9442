#include "tls/ticket_keys.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_pki.h"
#include "util/config_error.h"

namespace tlsgate::test {
namespace {

// 80 bytes of `fill`, in base64 (108 characters with one '=').
std::string keyLine(char fill) {
  const std::string raw(80, fill);
  unsigned char encoded[120] = {};
  const int length = EVP_EncodeBlock(encoded, reinterpret_cast<const unsigned char*>(raw.data()),
                                     static_cast<int>(raw.size()));
  return {reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length)};
}

TEST(TicketKeysTest, OneKeyPerLineSkippingBlanksAndComments) {
  const auto parsed =
      TicketKeys::parse("# newest first\n" + keyLine('a') + "\n\n  " + keyLine('b') + " \r\n");
  ASSERT_TRUE(parsed.isOk()) << parsed.error();
  EXPECT_EQ(parsed.value().size(), 2U);
}

TEST(TicketKeysTest, WrongLengthNamesTheLine) {
  const std::string short_key = keyLine('a').substr(0, 104);  // 78 bytes
  const auto parsed = TicketKeys::parse(keyLine('a') + "\n" + short_key + "\n");
  ASSERT_FALSE(parsed.isOk());
  EXPECT_EQ(parsed.error(),
            "line 2 is not the base64 of 80 bytes; make a key with `openssl rand 80 | base64 -w0`");
  EXPECT_FALSE(TicketKeys::parse("not base64 at all!\n").isOk());
  EXPECT_FALSE(TicketKeys::parse(keyLine('a') + keyLine('b')).isOk());  // two on one line
}

TEST(TicketKeysTest, EqualsSignBeforeThePaddingIsRefused) {
  std::string line = keyLine('a');
  ASSERT_EQ(line.back(), '=');
  line[line.size() - 3] = '=';  // "...YWE=" becomes "...Y=E="

  EXPECT_FALSE(TicketKeys::parse(line + "\n").isOk());
  line[line.size() - 3] = 'W';
  line[10] = '=';
  EXPECT_FALSE(TicketKeys::parse(line + "\n").isOk());
}

TEST(TicketKeysTest, EmptyFileIsAnError) {
  const auto parsed = TicketKeys::parse("# nothing yet\n");
  ASSERT_FALSE(parsed.isOk());
  EXPECT_NE(parsed.error().find("holds no key"), std::string::npos);
}

TEST(TicketKeysTest, LoadErrorsNameTheFileAndPosition) {
  TestPki pki;
  LocatedPath path{pki.writeFile("tickets.key", "garbage\n"), SourceMark{"tlsgate.yaml", 8, 30}};
  try {
    TicketKeys::load(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "tlsgate.yaml:8:30: session.ticket_keys: " + path.value +
                  ": line 1 is not the base64 of 80 bytes; make a key with `openssl rand 80 | "
                  "base64 -w0`");
  }
  path.value = pki.dir() + "/missing.key";
  EXPECT_THROW(TicketKeys::load(path), ConfigError);
}

}  // namespace
}  // namespace tlsgate::test
