#include "proxy/socket_address.h"

#include <gtest/gtest.h>

#include "support/name_resolution.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

Address hostPort(const std::string& host, uint16_t port) {
  Address address;
  address.host = host;
  address.port = port;
  address.mark = {"test.yaml", 3, 16};
  return address;
}

TEST(SocketAddressTest, FormatsIpv4AndIpv6) {
  EXPECT_EQ(resolveAddress(hostPort("127.0.0.1", 8443), "address").str(), "127.0.0.1:8443");
  EXPECT_EQ(resolveAddress(hostPort("::1", 443), "address").str(), "[::1]:443");
}

TEST(SocketAddressTest, ResolvesNames) {
  if (!test::resolves("localhost")) {
    GTEST_SKIP() << test::kLocalhostUnresolved;
  }
  SocketAddress address = resolveAddress(hostPort("localhost", 80), "address");
  EXPECT_TRUE(address.str() == "127.0.0.1:80" || address.str() == "[::1]:80") << address.str();
}

TEST(SocketAddressTest, UnresolvableNameNamesThePosition) {
  try {
    resolveAddress(hostPort("no-such-host.invalid", 80), "connect.address");
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("test.yaml:3:16: connect.address: cannot resolve "
                                         "no-such-host.invalid"),
              std::string::npos)
        << e.what();
  }
}

TEST(SocketAddressTest, UnixPathsNeedNoLookup) {
  Address address;
  address.unix_path = "/run/app.sock";
  SocketAddress resolved = resolveAddress(address, "address");
  EXPECT_EQ(resolved.family(), AF_UNIX);
  EXPECT_EQ(resolved.unixPath(), "/run/app.sock");
  EXPECT_EQ(resolved.str(), "unix:/run/app.sock");
  EXPECT_EQ(numericAddress(address)->str(), "unix:/run/app.sock");
}

TEST(SocketAddressTest, OnlyNumericHostsAreResolvedAhead) {
  EXPECT_EQ(numericAddress(hostPort("::1", 8443))->str(), "[::1]:8443");
  EXPECT_EQ(numericAddress(hostPort("127.0.0.1", 80))->str(), "127.0.0.1:80");
  // A name is looked up when a connection needs it, so DNS changes are followed.
  EXPECT_FALSE(numericAddress(hostPort("localhost", 80)).has_value());
}

}  // namespace
}  // namespace tlsgate
