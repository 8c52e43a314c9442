#include "proxy/phase.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/connect_phase.h"
#include "proxy/endpoint.h"
#include "proxy/listener.h"
#include "proxy/phase_harness.h"
#include "proxy/tls_handshake_phase.h"
#include "support/name_resolution.h"

namespace tlsgate::test {
namespace {

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
    peer = harness.adoptLoopback(harness.client());
    ASSERT_GE(peer.get(), 0);
  }

  std::unique_ptr<Phase> acceptPhase() {
    ServerTlsConfig config = serverConfig(certificate_);
    config.alpn = {"h2", "http/1.1"};
    return std::make_unique<TlsHandshakePhase>(PhaseId::handshake,
                                               ServerTlsContext::create(config));
  }

  TestPki pki;
  IssuedCertificate certificate_ = pki.issue("gate", "gate.test", {"gate.test"});
  Fd peer;
  PhaseHarness harness;
};

TEST_F(TlsHandshakePhaseTest, CompletesAgainstARealClientAndRecordsSniAndAlpn) {
  acceptClient();
  ClientTlsConfig client_config = clientConfig(pki.caPath(), "gate.test");
  client_config.alpn = {"http/1.1"};
  TlsClientThread client(peer.get(), ClientTlsContext::create(client_config));

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
  if (!resolves("localhost")) {
    GTEST_SKIP() << kLocalhostUnresolved;
  }
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
