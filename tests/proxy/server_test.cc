#include "proxy/server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.h"
#include "proxy/loopback_peers.h"

namespace tlsgate {
namespace {

using test::connectTo;
using test::EchoBackend;
using test::freePort;
using test::readSome;

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
