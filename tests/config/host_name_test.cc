#include "config/host_name.h"

#include <gtest/gtest.h>

#include <string>

namespace tlsgate {
namespace {

using std::string_literals::operator""s;

TEST(HostNameTest, LabelsOfLettersDigitsHyphensAndUnderscores) {
  EXPECT_TRUE(isHostName("api.example.com"));
  EXPECT_TRUE(isHostName("_srv.a-b.example"));
  EXPECT_FALSE(isHostName("-a.example"));
  EXPECT_FALSE(isHostName("a..example"));
  EXPECT_FALSE(isHostName("example.com."));
  EXPECT_FALSE(isHostName(std::string(64, 'a') + ".example"));
  EXPECT_FALSE(isHostName("a\0b.example"s));
}

TEST(HostNameTest, Ipv4LiteralIsAlsoAHostName) {
  EXPECT_TRUE(isIpv4Literal("10.0.0.1"));
  EXPECT_TRUE(isHostName("10.0.0.1"));
  EXPECT_FALSE(isIpv4Literal("10.0.0.256"));
  EXPECT_FALSE(isIpv4Literal("::1"));
}

TEST(HostNameTest, NulByteEndsNoIpv4Literal) {
  EXPECT_FALSE(isIpv4Literal("10.0.0.1\0.example"s));
  EXPECT_FALSE(isIpv4Literal("10.0.0.1\0"s));
}

}  // namespace
}  // namespace tlsgate
