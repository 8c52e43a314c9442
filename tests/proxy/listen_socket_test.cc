#include "proxy/listen_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/config_error.h"

namespace tlsgate {
namespace {

uint16_t portOf(int fd) {
  sockaddr_in bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  return ntohs(bound.sin_port);
}

SocketAddress loopback(uint16_t port) {
  Address address;
  address.host = "127.0.0.1";
  address.port = port;
  return resolveAddress(address, "address");
}

TEST(ListenSocketTest, WorkersShareOnePortThroughReusePort) {
  int first = openListenSocket(loopback(0), {});
  uint16_t port = portOf(first);
  int second = openListenSocket(loopback(port), {});
  EXPECT_GE(second, 0);
  ::close(first);
  ::close(second);
}

TEST(ListenSocketTest, PortHeldWithoutReusePortIsExplained) {
  // A socket without SO_REUSEPORT, as another program would hold it.
  int other = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(other, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(other, 1), 0);
  uint16_t port = portOf(other);
  try {
    openListenSocket(loopback(port), SourceMark{"tlsgate.yaml", 7, 16});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("tlsgate.yaml:7:16: address: cannot bind 127.0.0.1:"), std::string::npos)
        << message;
    EXPECT_NE(message.find("another program listens there"), std::string::npos) << message;
  }
  ::close(other);
}

}  // namespace
}  // namespace tlsgate
