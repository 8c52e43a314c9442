#include "protocol/proxy_header.h"

#include <gtest/gtest.h>

#include "test_bytes.h"

namespace tlsgate {
namespace {

using test::ipv4;
using test::ipv6;
using test::unixPath;

TEST(ProxyHeaderTest, FormatsEachFamily) {
  EXPECT_EQ(formatProxyAddress(ipv4("127.0.0.1", 5000)), "127.0.0.1:5000");
  EXPECT_EQ(formatProxyAddress(ipv6("::1", 5000)), "[::1]:5000");
  EXPECT_EQ(formatProxyAddress(unixPath("/run/tlsgate.sock")), "unix:/run/tlsgate.sock");
  EXPECT_EQ(formatProxyAddress(unixPath(std::string("\0name", 5))), "unix:@name");
  EXPECT_EQ(formatProxyAddress(sockaddr_storage{}), "-");
}

TEST(ProxyHeaderTest, FormatsAUnixPathThatFillsAllOf108Bytes) {
  const std::string path(108, 'p');
  EXPECT_EQ(formatProxyAddress(unixPath(path)), "unix:" + path);
}

TEST(ProxyHeaderTest, ComparesWhatTheHeaderCarries) {
  ProxyHeader a;
  a.source = ipv6("2001:db8::1", 443);
  a.destination = ipv4("10.0.0.1", 80);
  ProxyHeader b = a;
  // The flow label and scope are not part of a PROXY header.
  reinterpret_cast<sockaddr_in6&>(b.source).sin6_flowinfo = 7;
  reinterpret_cast<sockaddr_in6&>(b.source).sin6_scope_id = 2;
  EXPECT_TRUE(a == b);

  b.destination = ipv4("10.0.0.1", 81);
  EXPECT_FALSE(a == b);
  b = a;
  b.tls = ProxyTlsInfo{};
  EXPECT_FALSE(a == b);
  b = a;
  b.client_cert_der = "x";
  EXPECT_FALSE(a == b);
  b = a;
  b.local = true;
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace tlsgate
