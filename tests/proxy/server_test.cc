#include "proxy/server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "config/config_loader.h"

namespace tlsgate {
namespace {

// A listening loopback socket on a port the kernel picks.
int listenOnLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::listen(fd, 16);
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  *port = ntohs(address.sin_port);
  return fd;
}

uint16_t freePort() {
  uint16_t port = 0;
  ::close(listenOnLoopback(&port));
  return port;
}

int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until `wanted` bytes, EOF, or 10 s of silence.
std::string readSome(int fd, std::size_t wanted) {
  std::string out;
  char buffer[4096];
  while (out.size() < wanted) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      break;
    }
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

// Echoes every byte of one connection, then closes.
class EchoBackend {
 public:
  EchoBackend() : listen_fd_(listenOnLoopback(&port_)) {
    thread_ = std::thread([this] {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      char buffer[4096];
      ssize_t n = 0;
      while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) {
        ::write(fd, buffer, static_cast<std::size_t>(n));
      }
      ::close(fd);
    });
  }
  ~EchoBackend() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  EchoBackend(const EchoBackend&) = delete;
  EchoBackend& operator=(const EchoBackend&) = delete;
  EchoBackend(EchoBackend&&) = delete;
  EchoBackend& operator=(EchoBackend&&) = delete;

  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
  int listen_fd_;
  std::thread thread_;
};

Config relayConfig(uint16_t listen_port, uint16_t backend_port, const std::string& drain) {
  return ConfigLoader::loadString(
      "global:\n"
      "  workers: 2\n"
      "  log: { level: off }\n"
      "  timeouts: { drain: " +
      drain +
      " }\n"
      "listeners:\n"
      "  - name: relay\n"
      "    accept: { address: 127.0.0.1:" +
      std::to_string(listen_port) +
      " }\n"
      "    connect: { address: 127.0.0.1:" +
      std::to_string(backend_port) + " }\n");
}

TEST(ServerTest, RelaysAndLetsOpenConnectionsFinishAfterStop) {
  EchoBackend backend;
  const uint16_t port = freePort();
  MetricsRegistry metrics(2);
  Server server(relayConfig(port, backend.port(), "30s"), metrics);
  server.start();

  int client = connectTo(port);
  ASSERT_GE(client, 0);
  ASSERT_EQ(::write(client, "hello", 5), 5);
  EXPECT_EQ(readSome(client, 5), "hello");

  server.stop();
  // New connections are refused once the workers have closed their sockets...
  bool refused = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    int late = connectTo(port);
    refused = late < 0;
    if (late >= 0) {
      ::close(late);
      std::this_thread::yield();
    }
  }
  EXPECT_TRUE(refused);
  // ...while the open one keeps working until it closes.
  ASSERT_EQ(::write(client, "again", 5), 5);
  EXPECT_EQ(readSome(client, 5), "again");
  ::shutdown(client, SHUT_WR);
  EXPECT_EQ(readSome(client, 1), "");  // the FIN travelled there and back
  ::close(client);
  server.wait();
}

TEST(ServerTest, DrainTimeoutClosesWhatIsLeft) {
  EchoBackend backend;
  const uint16_t port = freePort();
  MetricsRegistry metrics(2);
  Server server(relayConfig(port, backend.port(), "100ms"), metrics);
  server.start();
  int client = connectTo(port);
  ASSERT_GE(client, 0);
  ASSERT_EQ(::write(client, "x", 1), 1);
  EXPECT_EQ(readSome(client, 1), "x");

  server.stop();
  server.wait();  // returns once the drain timeout has closed the connection
  EXPECT_EQ(readSome(client, 1), "");
  ::close(client);
}

}  // namespace
}  // namespace tlsgate
