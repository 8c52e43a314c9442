// Reloads of a running Server: kept sockets, new and removed listeners, and
// the lifetime of the generation a connection started on.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "config/config_loader.h"
#include "proxy/loopback_peers.h"
#include "proxy/server.h"
#include "support/test_pki.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

using test::connectTo;
using test::EchoBackend;
using test::freePort;
using test::readSome;

template <typename Predicate>
bool waitFor(Predicate predicate, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string relayListener(const std::string& name, uint16_t port, uint16_t backend) {
  return "  - name: " + name + "\n    accept: { address: 127.0.0.1:" + std::to_string(port) +
         " }\n    connect: { address: 127.0.0.1:" + std::to_string(backend) + " }\n";
}

Config configOf(const std::string& listeners) {
  return ConfigLoader::loadString(
      "global:\n  workers: 2\n  log: { level: off }\n  timeouts: { drain: 5s }\nlisteners:\n" +
      listeners);
}

// The inodes of the sockets listening on 127.0.0.1:`port`, from
// /proc/net/tcp: the same set before and after a reload means the very same
// sockets kept serving.
std::set<std::string> listeningInodes(uint16_t port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  char wanted[32];
  std::snprintf(wanted, sizeof(wanted), "0100007F:%04X", port);
  std::set<std::string> inodes;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    if (local == wanted && state == "0A") {
      inodes.insert(inode);
    }
  }
  return inodes;
}

// A blocking TLS client on a loopback socket.
class TlsClient {
 public:
  explicit TlsClient(uint16_t port) : ctx_(SSL_CTX_new(TLS_client_method())), fd_(connectTo(port)) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;
  TlsClient(TlsClient&&) = delete;
  TlsClient& operator=(TlsClient&&) = delete;

  bool connected() const { return connected_; }
  std::string echo(const std::string& text) {
    if (SSL_write(ssl_, text.data(), static_cast<int>(text.size())) <= 0) {
      return {};
    }
    std::string out(text.size(), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
      int n = SSL_read(ssl_, out.data() + got, static_cast<int>(out.size() - got));
      if (n <= 0) {
        return {};
      }
      got += static_cast<std::size_t>(n);
    }
    return out;
  }
  void close() {
    SSL_shutdown(ssl_);
    ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  SSL_CTX* ctx_;
  int fd_;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
};

TEST(ServerReloadTest, KeptSocketRefusesNoConnectionAcrossReloads) {
  EchoBackend backend;
  const uint16_t port = freePort();
  const Config config = configOf(relayListener("relay", port, backend.port()));
  MetricsRegistry metrics(2);
  Server server(config, metrics);
  server.start();
  const std::set<std::string> sockets = listeningInodes(port);
  ASSERT_EQ(sockets.size(), 2U) << "one SO_REUSEPORT socket per worker";

  std::atomic<bool> done{false};
  std::atomic<int> refused{0};
  std::atomic<int> served{0};
  std::atomic<int> dropped{0};
  std::thread clients([&] {
    while (!done) {
      int fd = connectTo(port);
      if (fd < 0) {
        ++refused;
        continue;
      }
      const bool echoed = ::write(fd, "ping", 4) == 4 && readSome(fd, 4) == "ping";
      ++(echoed ? served : dropped);
      ::close(fd);
    }
  });
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(server.reload(config).kept, 1U);
  }
  ASSERT_TRUE(waitFor([&] { return served > 20; }));
  done = true;
  clients.join();
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(dropped, 0);
  EXPECT_EQ(listeningInodes(port), sockets) << "a reload replaced the listening sockets";
  EXPECT_EQ(server.generation(), 21U);
}

TEST(ServerReloadTest, OldContextLivesUntilItsLastConnectionEnds) {
  test::TestPki pki;
  const test::IssuedCertificate cert = pki.issue("server", "localhost", {"localhost"});
  EchoBackend backend;
  const uint16_t port = freePort();
  const std::string listener =
      "  - name: web\n    accept:\n      address: 127.0.0.1:" + std::to_string(port) +
      "\n      tls:\n        certificates:\n" + "          - { cert: " + cert.cert_path +
      ", key: " + cert.key_path +
      " }\n    connect: { address: 127.0.0.1:" + std::to_string(backend.port()) + " }\n";
  const Config config = configOf(listener);
  MetricsRegistry metrics(2);
  Server server(config, metrics);
  server.start();

  std::weak_ptr<const TlsContext> first = server.listeners().front()->accept_tls;
  auto old_connection = std::make_unique<TlsClient>(port);
  ASSERT_TRUE(old_connection->connected());
  ASSERT_EQ(old_connection->echo("before"), "before");

  server.reload(config);
  std::weak_ptr<const TlsContext> second = server.listeners().front()->accept_tls;
  ASSERT_NE(first.lock(), second.lock());
  // A new connection runs on the new generation ...
  {
    TlsClient fresh(port);
    ASSERT_TRUE(fresh.connected());
    EXPECT_EQ(fresh.echo("new"), "new");
    fresh.close();
  }
  // ... while the old one keeps its context, which nothing else holds now.
  EXPECT_EQ(old_connection->echo("after"), "after");
  EXPECT_FALSE(first.expired());
  old_connection->close();
  old_connection.reset();
  EXPECT_TRUE(waitFor([&] { return first.expired(); }))
      << "the first generation's TLS context outlived its last connection";
  EXPECT_FALSE(second.expired());
}

TEST(ServerReloadTest, AddsAndRemovesListeners) {
  EchoBackend backend;
  const uint16_t kept = freePort();
  const uint16_t removed = freePort();
  const uint16_t added = freePort();
  MetricsRegistry metrics(2);
  Server server(configOf(relayListener("kept", kept, backend.port()) +
                         relayListener("removed", removed, backend.port())),
                metrics);
  server.start();
  int open_on_removed = connectTo(removed);
  ASSERT_GE(open_on_removed, 0);
  ASSERT_EQ(::write(open_on_removed, "x", 1), 1);
  ASSERT_EQ(readSome(open_on_removed, 1), "x");

  ReloadSummary summary = server.reload(configOf(relayListener("kept", kept, backend.port()) +
                                                 relayListener("added", added, backend.port())));
  EXPECT_EQ(summary.kept, 1U);
  EXPECT_EQ(summary.added, 1U);
  EXPECT_EQ(summary.removed, 1U);
  EXPECT_TRUE(waitFor([&] {
    int fd = connectTo(removed);
    if (fd >= 0) {
      ::close(fd);
    }
    return fd < 0;
  })) << "the removed listener still accepts";
  int fd = connectTo(added);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "y", 1), 1);
  EXPECT_EQ(readSome(fd, 1), "y");
  ::close(fd);
  // The connection that started on the removed listener finishes normally.
  ASSERT_EQ(::write(open_on_removed, "z", 1), 1);
  EXPECT_EQ(readSome(open_on_removed, 1), "z");
  ::close(open_on_removed);
}

TEST(ServerReloadTest, FailedReloadChangesNothing) {
  EchoBackend backend;
  const uint16_t port = freePort();
  const uint16_t taken_port = freePort();
  MetricsRegistry metrics(2);
  Server server(configOf(relayListener("relay", port, backend.port())), metrics);
  server.start();
  // A port another socket holds without SO_REUSEPORT cannot be bound.
  int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(taken_port);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(holder, 1), 0);

  EXPECT_THROW(server.reload(configOf(relayListener("relay", port, backend.port()) +
                                      relayListener("blocked", taken_port, backend.port()))),
               ConfigError);
  EXPECT_EQ(server.generation(), 1U);
  EXPECT_EQ(server.listeners().size(), 1U);
  int fd = connectTo(port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "ok", 2), 2);
  EXPECT_EQ(readSome(fd, 2), "ok");
  ::close(fd);
  ::close(holder);
}

}  // namespace
}  // namespace tlsgate
