#include "config/address_parser.h"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

Address parsed(std::string_view text) {
  auto result = parseAddress(text);
  EXPECT_TRUE(result.isOk()) << text << ": " << result.error();
  return result.isOk() ? result.value() : Address{};
}

std::string addressError(std::string_view text) {
  auto result = parseAddress(text);
  EXPECT_FALSE(result.isOk()) << text << " parsed";
  return result.error();
}

TEST(AddressParserTest, HostAndPort) {
  const Address a = parsed("127.0.0.1:8443");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8443);
  EXPECT_FALSE(a.isUnix());
  EXPECT_EQ(parsed("backend.example.com:80").host, "backend.example.com");
  EXPECT_EQ(parsed("0.0.0.0:65535").port, 65535);
  EXPECT_EQ(parsed("h:1").port, 1);
}

TEST(AddressParserTest, BracketedIpv6) {
  const Address a = parsed("[::1]:443");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 443);
  EXPECT_EQ(parsed("[::]:443").host, "::");
  EXPECT_EQ(parsed("[2001:db8::10]:8080").host, "2001:db8::10");
}

TEST(AddressParserTest, UnixSocket) {
  const Address a = parsed("unix:/run/app.sock");
  EXPECT_TRUE(a.isUnix());
  EXPECT_EQ(a.unix_path, "/run/app.sock");
  EXPECT_EQ(a.host, "");
  EXPECT_EQ(a.port, 0);
}

TEST(AddressParserTest, MissingPort) {
  EXPECT_EQ(addressError("127.0.0.1"), "'127.0.0.1' has no port; write host:port");
  EXPECT_NE(addressError("127.0.0.1:").find("has no port"), std::string::npos);
  EXPECT_NE(addressError("[::1]").find("has no port; write [::1]:port"), std::string::npos);
}

TEST(AddressParserTest, PortRange) {
  EXPECT_NE(addressError("h:0").find("not a number from 1 to 65535"), std::string::npos);
  EXPECT_NE(addressError("h:65536").find("not a number from 1 to 65535"), std::string::npos);
  EXPECT_NE(addressError("h:http").find("not a number from 1 to 65535"), std::string::npos);
  EXPECT_NE(addressError("h:-1").find("not a number from 1 to 65535"), std::string::npos);
  EXPECT_NE(addressError("h:80x").find("not a number from 1 to 65535"), std::string::npos);
}

TEST(AddressParserTest, BadHosts) {
  EXPECT_NE(addressError("::1:443").find("write it in brackets"), std::string::npos);
  EXPECT_NE(addressError("[nothost]:443").find("is not an IPv6 address"), std::string::npos);
  EXPECT_NE(addressError("[::1:443").find("without ']'"), std::string::npos);
  EXPECT_NE(addressError(":443").find("has no host"), std::string::npos);
  EXPECT_NE(addressError("bad host:443").find("is not a host name"), std::string::npos);
}

TEST(AddressParserTest, BadUnixPaths) {
  EXPECT_NE(addressError("unix:").find("without a path"), std::string::npos);
  EXPECT_NE(addressError("unix:/" + std::string(200, 'x')).find("longer than"), std::string::npos);
}

TEST(AddressParserTest, NulByteIsRefused) {
  using std::string_literals::operator""s;
  EXPECT_NE(addressError("unix:/run/a\0b"s).find("NUL byte"), std::string::npos);
  EXPECT_NE(addressError("[::1\0junk]:443"s).find("NUL byte"), std::string::npos);
  EXPECT_NE(addressError("localhost\0:443"s).find("NUL byte"), std::string::npos);
}

}  // namespace
}  // namespace tlsgate
