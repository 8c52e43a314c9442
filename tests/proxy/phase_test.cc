#include "proxy/phase.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proxy/connect_phase.h"
#include "proxy/endpoint.h"
#include "proxy/listener.h"
#include "proxy/loop_runner.h"
#include "proxy/loopback_peers.h"
#include "proxy/memory_port.h"
#include "proxy/tls_handshake_phase.h"
#include "proxy/worker.h"
#include "tls/session_pair.h"

namespace tlsgate::test {
namespace {

WorkerAssignment noListeners() {
  WorkerAssignment assignment;
  assignment.global = std::make_shared<GlobalConfig>();
  return assignment;
}

// One phase over two real endpoints, driven the way a Connection drives
// its phases: advance() after every endpoint event, until the phase says
// anything but wait. The worker is never started; the test runs its loop.
class PhaseHarness final : public EndpointEvents, public PhaseContext {
 public:
  PhaseHarness() = default;
  ~PhaseHarness() { finish(); }
  PhaseHarness(const PhaseHarness&) = delete;
  PhaseHarness& operator=(const PhaseHarness&) = delete;
  PhaseHarness(PhaseHarness&&) = delete;
  PhaseHarness& operator=(PhaseHarness&&) = delete;

  void start(std::unique_ptr<Phase> phase) {
    phase_ = std::move(phase);
    phase_->start(*this);
    advance();
  }

  // Runs the loop until the phase is done; nullopt when the deadline came
  // first.
  std::optional<PhaseStatus> runPhase() {
    runner_.runUntil([&] { return outcome_.has_value(); });
    return outcome_;
  }

  // Lets go of the phase and both sockets; true when every socket opened
  // has closed exactly once.
  bool finish() {
    if (finished_) {
      return closed_ == opened_;
    }
    finished_ = true;
    phase_.reset();
    client_.close();
    backend_.close();
    runner_.runUntil([&] { return closed_ >= opened_; });
    runner_.close();
    return closed_ == opened_;
  }

  uv_loop_t* loop() { return worker_.loop(); }
  int socketsOpened() const { return opened_; }
  const std::vector<uint64_t>& timersArmed() const { return timers_armed_; }
  BackendSet backends;

  // PhaseContext
  Endpoint& client() override { return client_; }
  Endpoint& backend() override { return backend_; }
  const Listener& listener() const override { return listener_; }
  Worker& worker() override { return worker_; }
  ListenerMetrics& metrics() override { return metrics_; }
  ConnectionFacts& facts() override { return facts_; }
  const std::string& label() const override { return label_; }
  void progress() override { advance(); }
  void armTimer(uint64_t milliseconds) override { timers_armed_.push_back(milliseconds); }

 private:
  // Guarded as Connection::run() is: a phase may call progress() from
  // inside advance().
  void advance() {
    if (!phase_ || outcome_) {
      return;
    }
    if (advancing_) {
      again_ = true;
      return;
    }
    advancing_ = true;
    do {
      again_ = false;
      settle(phase_->advance(*this));
    } while (again_ && !outcome_);
    advancing_ = false;
  }

  void settle(PhaseStatus status) {
    if (status.kind != PhaseStatus::Kind::wait) {
      outcome_ = std::move(status);
    }
  }

  // EndpointEvents
  void onEndpointInput(Endpoint& /*endpoint*/) override { advance(); }
  void onEndpointOutput(Endpoint& /*endpoint*/) override { advance(); }
  void onEndpointConnected(Endpoint& /*endpoint*/) override { advance(); }
  void onEndpointError(Endpoint& endpoint, Operation operation, int status) override {
    if (operation == Operation::connect && phase_ && !outcome_) {
      PhaseStatus outcome = phase_->onConnectFailed(*this, status);
      if (outcome.kind == PhaseStatus::Kind::wait || outcome.kind == PhaseStatus::Kind::go_on) {
        advance();
        return;
      }
      outcome_ = std::move(outcome);
      return;
    }
    outcome_ = PhaseStatus::fail(std::string(endpoint.name()) + " side I/O error " +
                                 std::to_string(status));
  }
  void onSocketOpened() override { ++opened_; }
  void onSocketClosed() override { ++closed_; }

  WorkerShared shared_;
  Worker worker_{0, shared_, noListeners()};
  LoopRunner runner_{worker_.loop()};
  Endpoint client_{*this, worker_.pool(), "accept"};
  Endpoint backend_{*this, worker_.pool(), "connect"};
  Listener listener_;
  ListenerMetrics metrics_;
  ConnectionFacts facts_;
  std::string label_ = "conn=test";
  std::unique_ptr<Phase> phase_;
  std::optional<PhaseStatus> outcome_;
  std::vector<uint64_t> timers_armed_;
  int opened_ = 0;
  int closed_ = 0;
  bool advancing_ = false;
  bool again_ = false;
  bool finished_ = false;
};

// A TLS client on a blocking socket, on a thread of its own: the program
// that connects to tlsgate's accept side.
class TlsClientThread {
 public:
  TlsClientThread(int fd, std::shared_ptr<TlsContext> context)
      : fd_(fd), session_(TlsSession::create(std::move(context), in_, out_, "test client")) {
    thread_ = std::thread([this] { run(); });
  }
  ~TlsClientThread() { join(); }
  TlsClientThread(const TlsClientThread&) = delete;
  TlsClientThread& operator=(const TlsClientThread&) = delete;
  TlsClientThread(TlsClientThread&&) = delete;
  TlsClientThread& operator=(TlsClientThread&&) = delete;

  void join() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // After join().
  bool handshakeDone() const { return session_->handshakeDone(); }
  std::string failureReason() const { return session_->failureReason(); }

 private:
  void run() {
    char buffer[16 * 1024];
    for (;;) {
      TlsResult result = session_->handshake();
      if (!writeAll(fd_, takeAll(out_)) || result.status != TlsStatus::want_input) {
        return;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) {
        return;
      }
      ssize_t n = ::read(fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        return;
      }
      in_.append({reinterpret_cast<const std::byte*>(buffer), static_cast<std::size_t>(n)});
    }
  }

  int fd_;
  BufferPool pool_;
  ByteQueue in_{pool_};
  ByteQueue out_{pool_};
  std::unique_ptr<TlsSession> session_;
  std::thread thread_;
};

BackendTarget target(const std::string& host, uint16_t port) {
  BackendTarget out;
  out.address.host = host;
  out.address.port = port;
  out.text = host + ":" + std::to_string(port);
  out.numeric = numericAddress(out.address);  // nullopt for a name
  return out;
}

class TlsHandshakePhaseTest : public ::testing::Test {
 protected:
  // The accept side of a connection: the harness's client endpoint adopts
  // the accepted end of a loopback connection; `peer` is the other end.
  void acceptClient() {
    uint16_t port = 0;
    Fd listener(listenOnLoopback(&port));
    peer = Fd(connectTo(port));
    ASSERT_GE(peer.get(), 0);
    ASSERT_EQ(
        harness.client().adopt(harness.loop(), ::accept(listener.get(), nullptr, nullptr), AF_INET),
        0);
    harness.client().setReading(true);
  }

  std::unique_ptr<Phase> acceptPhase() {
    TlsConfig config = serverConfig(certificate_);
    config.alpn = {"h2", "http/1.1"};
    return std::make_unique<TlsHandshakePhase>(PhaseId::handshake,
                                               TlsContext::create(config, TlsRole::server));
  }

  TestPki pki;
  IssuedCertificate certificate_ = pki.issue("gate", "gate.test", {"gate.test"});
  Fd peer;
  PhaseHarness harness;
};

TEST_F(TlsHandshakePhaseTest, CompletesAgainstARealClientAndRecordsSniAndAlpn) {
  acceptClient();
  TlsConfig client_config = clientConfig(pki.caPath(), "gate.test");
  client_config.alpn = {"http/1.1"};
  TlsClientThread client(peer.get(), TlsContext::create(client_config, TlsRole::client));

  harness.start(acceptPhase());
  std::optional<PhaseStatus> outcome = harness.runPhase();
  ::shutdown(peer.get(), SHUT_RDWR);  // a client still waiting gives up now
  client.join();

  ASSERT_TRUE(outcome.has_value()) << "the handshake did not finish in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_TRUE(client.handshakeDone()) << client.failureReason();
  ASSERT_NE(harness.client().tls, nullptr);
  EXPECT_TRUE(harness.client().tls->handshakeDone());
  EXPECT_EQ(harness.facts().sni, "gate.test");
  EXPECT_EQ(harness.facts().alpn, "http/1.1");
  EXPECT_EQ(harness.metrics().accept.handshakes.value(), 1U);
  EXPECT_TRUE(harness.finish());
}

TEST_F(TlsHandshakePhaseTest, PlaintextClientFailsWithAReason) {
  acceptClient();
  ASSERT_TRUE(writeAll(peer.get(), "hello there, plain text here\r\n"));

  harness.start(acceptPhase());
  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the handshake did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::fail);
  EXPECT_EQ(outcome->reason, "peer spoke plaintext to a TLS port");
  EXPECT_TRUE(harness.finish());
}

class ConnectPhaseTest : public ::testing::Test {
 protected:
  // Failover order, so the test knows which backend is tried first.
  std::optional<PhaseStatus> connect() {
    harness.backends.pool = std::make_unique<BackendPool>(
        harness.backends.targets.size(), Balance::failover, std::chrono::seconds(10));
    harness.facts().backends = &harness.backends;
    harness.start(std::make_unique<ConnectPhase>());
    return harness.runPhase();
  }

  PhaseHarness harness;
};

TEST_F(ConnectPhaseTest, TriesBackendsInOrderUntilOneAnswers) {
  uint16_t refused_port = 0;
  Fd refusing = refusingPort(&refused_port);
  uint16_t port = 0;
  Fd listener(listenOnLoopback(&port));
  harness.backends.targets = {target("127.0.0.1", refused_port), target("127.0.0.1", port)};

  std::optional<PhaseStatus> outcome = connect();

  ASSERT_TRUE(outcome.has_value()) << "the connect did not finish in time";
  // Accepting below would block without a connection.
  ASSERT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  ASSERT_TRUE(harness.backend().connected());
  EXPECT_EQ(harness.backend().peerText(), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(harness.facts().backend, "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(harness.facts().target, 1);
  EXPECT_EQ(harness.metrics().backend_connect_failures.value(), 1U);
  // Each backend gets the whole connect timeout.
  EXPECT_EQ(harness.timersArmed(), (std::vector<uint64_t>{5000, 5000}));

  Fd accepted(::accept(listener.get(), nullptr, nullptr));
  harness.backend().tx.append(bytesOf("reached"));
  ASSERT_TRUE(harness.backend().flush());
  EXPECT_EQ(readSome(accepted.get(), 7), "reached");
  EXPECT_EQ(harness.socketsOpened(), 2);
  EXPECT_TRUE(harness.finish());
}

TEST_F(ConnectPhaseTest, AllRefusedFailsNamingEachBackend) {
  uint16_t first_port = 0;
  Fd first = refusingPort(&first_port);
  uint16_t second_port = 0;
  Fd second = refusingPort(&second_port);
  harness.backends.targets = {target("127.0.0.1", first_port), target("127.0.0.1", second_port)};

  std::optional<PhaseStatus> outcome = connect();

  ASSERT_TRUE(outcome.has_value()) << "the connect did not finish in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::fail);
  EXPECT_EQ(outcome->reason,
            "no backend could be reached: 127.0.0.1:" + std::to_string(first_port) +
                ": connection refused; 127.0.0.1:" + std::to_string(second_port) +
                ": connection refused");
  EXPECT_FALSE(harness.backend().connected());
  EXPECT_EQ(harness.metrics().backend_connect_failures.value(), 2U);
  EXPECT_TRUE(harness.finish());
}

TEST_F(ConnectPhaseTest, OneBackendRefusedFailsWithItsReason) {
  uint16_t port = 0;
  Fd refusing = refusingPort(&port);
  harness.backends.targets = {target("127.0.0.1", port)};

  std::optional<PhaseStatus> outcome = connect();

  ASSERT_TRUE(outcome.has_value()) << "the connect did not finish in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::fail);
  EXPECT_EQ(outcome->reason, "backend connect failed: connection refused");
  EXPECT_TRUE(harness.finish());
}

// A name is looked up when the connection connects, and each address it
// yields is tried (localhost may give ::1 before 127.0.0.1).
TEST_F(ConnectPhaseTest, LooksUpAHostNameAtConnectTime) {
  uint16_t port = 0;
  Fd listener(listenOnLoopback(&port));
  harness.backends.targets = {target("localhost", port)};
  ASSERT_FALSE(harness.backends.targets[0].numeric.has_value());

  std::optional<PhaseStatus> outcome = connect();

  ASSERT_TRUE(outcome.has_value()) << "the connect did not finish in time";
  // Accepting below would block without a connection.
  ASSERT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  ASSERT_TRUE(harness.backend().connected());
  EXPECT_EQ(harness.backend().peerText(), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(harness.facts().backend, "localhost:" + std::to_string(port));
  EXPECT_EQ(harness.facts().target, 0);
  Fd accepted(::accept(listener.get(), nullptr, nullptr));
  EXPECT_GE(accepted.get(), 0);
  EXPECT_TRUE(harness.finish());
}

}  // namespace
}  // namespace tlsgate::test
