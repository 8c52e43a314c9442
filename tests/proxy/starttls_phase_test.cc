#include "proxy/starttls_phase.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>

#include "proxy/phase_harness.h"

namespace tlsgate::test {
namespace {

class StarttlsAcceptPhaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client = harness.adoptSocketPair(harness.client());
    ASSERT_GE(client.get(), 0);
  }

  void start(bool require) {
    AcceptStarttls config;
    config.protocol = StarttlsProtocol::smtp;
    config.require = require;
    config.hostname = "mx.test";  // not the host's name, so the replies are known
    harness.start(std::make_unique<StarttlsAcceptPhase>(config));
  }

  // The greeting is sent when the phase starts, before the client says
  // anything.
  void expectGreeting() {
    ASSERT_TRUE(harness.receive(client.get(), received, "\r\n"));
    EXPECT_EQ(received, "220 mx.test ESMTP ready\r\n");
    received.clear();
  }

  PhaseHarness harness;
  Fd client;
  std::string received;
};

TEST_F(StarttlsAcceptPhaseTest, EhloThenStarttlsUpgrades) {
  start(true);
  ASSERT_NO_FATAL_FAILURE(expectGreeting());

  ASSERT_TRUE(writeAll(client.get(), "EHLO client.test\r\n"));
  ASSERT_TRUE(harness.receive(client.get(), received, "250 STARTTLS\r\n"));
  EXPECT_EQ(received, "250-mx.test\r\n250 STARTTLS\r\n");
  EXPECT_FALSE(harness.outcome().has_value()) << "the phase ended before STARTTLS";
  received.clear();

  ASSERT_TRUE(writeAll(client.get(), "STARTTLS\r\n"));
  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  ASSERT_TRUE(harness.receive(client.get(), received, "\r\n"));
  EXPECT_EQ(received, "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_FALSE(harness.facts().stayed_plaintext);
  EXPECT_TRUE(harness.facts().replay.empty());
  EXPECT_TRUE(harness.client().rx.empty()) << "the handshake must start on an empty rx";
  EXPECT_TRUE(harness.finish());
}

// With require: false the backend is to answer the command: it and the
// EHLO whose reply the backend's own greeting dance must drop are kept.
TEST_F(StarttlsAcceptPhaseTest, MailFromWithoutRequireStaysInPlaintext) {
  start(false);
  ASSERT_NO_FATAL_FAILURE(expectGreeting());

  ASSERT_TRUE(writeAll(client.get(), "EHLO client.test\r\n"));
  ASSERT_TRUE(harness.receive(client.get(), received, "250 STARTTLS\r\n"));
  ASSERT_TRUE(writeAll(client.get(), "MAIL FROM:<a@client.test>\r\n"));
  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_TRUE(harness.facts().stayed_plaintext);
  EXPECT_EQ(harness.facts().replay, "EHLO client.test\r\nMAIL FROM:<a@client.test>\r\n");
  EXPECT_EQ(harness.facts().replay_replies, 1U);
  EXPECT_EQ(readAvailable(client.get()), "") << "tlsgate answered the backend's command";
  EXPECT_TRUE(harness.finish());
}

TEST_F(StarttlsAcceptPhaseTest, QuitCloses) {
  start(true);
  ASSERT_NO_FATAL_FAILURE(expectGreeting());

  ASSERT_TRUE(writeAll(client.get(), "QUIT\r\n"));
  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::close) << outcome->reason;
  ASSERT_TRUE(harness.receive(client.get(), received, "\r\n"));
  EXPECT_EQ(received, "221 2.0.0 Bye\r\n");
  EXPECT_FALSE(harness.facts().stayed_plaintext);
  EXPECT_TRUE(harness.finish());
}

// The test plays both the plaintext client and the server that upgrades,
// each at the far end of a socket pair.
class BackendStarttlsPhaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client = harness.adoptSocketPair(harness.client());
    ASSERT_GE(client.get(), 0);
    server = harness.adoptSocketPair(harness.backend());
    ASSERT_GE(server.get(), 0);
  }

  void start(StarttlsProtocol accept, StarttlsProtocol connect) {
    harness.start(std::make_unique<BackendStarttlsPhase>(accept, connect));
  }

  // Runs the loop until the server has a whole line from tlsgate, and
  // returns it.
  std::string serverReadsLine() {
    std::string line;
    EXPECT_TRUE(harness.receive(server.get(), line, "\r\n")) << "got: " << line;
    return line;
  }

  PhaseHarness harness;
  Fd client;
  Fd server;
};

TEST_F(BackendStarttlsPhaseTest, SmtpUpgradesAndForwardsTheGreeting) {
  start(StarttlsProtocol::none, StarttlsProtocol::smtp);
  ASSERT_TRUE(writeAll(server.get(), "220 mail.test ESMTP Postfix\r\n"));
  EXPECT_EQ(serverReadsLine(), "EHLO " + localHostName() + "\r\n");
  ASSERT_TRUE(writeAll(server.get(), "250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"));
  EXPECT_EQ(serverReadsLine(), "STARTTLS\r\n");
  ASSERT_TRUE(writeAll(server.get(), "220 2.0.0 Ready to start TLS\r\n"));

  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  std::string greeting;
  ASSERT_TRUE(harness.receive(client.get(), greeting, "\r\n"));
  EXPECT_EQ(greeting, "220 mail.test ESMTP Postfix\r\n");
  EXPECT_TRUE(harness.backend().rx.empty()) << "the handshake must start on an empty rx";
  EXPECT_TRUE(harness.finish());
}

TEST_F(BackendStarttlsPhaseTest, ServerWithoutStarttlsFailsQuotingItsEhloReply) {
  start(StarttlsProtocol::none, StarttlsProtocol::smtp);
  ASSERT_TRUE(writeAll(server.get(), "220 mail.test ESMTP\r\n"));
  EXPECT_EQ(serverReadsLine(), "EHLO " + localHostName() + "\r\n");
  ASSERT_TRUE(writeAll(server.get(), "250-mail.test\r\n250 PIPELINING\r\n"));

  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::fail);
  EXPECT_EQ(outcome->reason,
            "the server does not offer STARTTLS (its EHLO reply: 250-mail.test / 250 PIPELINING)");
  EXPECT_TRUE(harness.finish());
}

// The client has had tlsgate's own greeting (accept.starttls): a second
// one from the server would confuse it.
TEST_F(BackendStarttlsPhaseTest, BehindAcceptStarttlsTheServersGreetingIsDropped) {
  start(StarttlsProtocol::smtp, StarttlsProtocol::none);
  ASSERT_TRUE(writeAll(server.get(), "220 mail.test ESMTP\r\n"));

  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_TRUE(harness.client().tx.empty());
  EXPECT_EQ(readAvailable(client.get()), "") << "the server's greeting was forwarded";
  EXPECT_TRUE(harness.backend().rx.empty());
  EXPECT_TRUE(harness.finish());
}

// The same when tlsgate upgrades to the server too: the client still sees
// only tlsgate's greeting.
TEST_F(BackendStarttlsPhaseTest, BehindAcceptStarttlsAnUpgradingServersGreetingIsDropped) {
  start(StarttlsProtocol::smtp, StarttlsProtocol::smtp);
  ASSERT_TRUE(writeAll(server.get(), "220 mail.test ESMTP\r\n"));
  EXPECT_EQ(serverReadsLine(), "EHLO " + localHostName() + "\r\n");
  ASSERT_TRUE(writeAll(server.get(), "250-mail.test\r\n250 STARTTLS\r\n"));
  EXPECT_EQ(serverReadsLine(), "STARTTLS\r\n");
  ASSERT_TRUE(writeAll(server.get(), "220 2.0.0 Ready to start TLS\r\n"));

  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_TRUE(harness.client().tx.empty());
  EXPECT_EQ(readAvailable(client.get()), "") << "the server's greeting was forwarded";
  EXPECT_TRUE(harness.finish());
}

// A client that stayed in plaintext: its EHLO goes to the server after the
// greeting, and its pending command only once the EHLO reply is in, as a
// client that waits for each reply sends them.
TEST_F(BackendStarttlsPhaseTest, BehindAcceptStarttlsAPlaintextClientIsReplayedInStep) {
  harness.facts().stayed_plaintext = true;
  harness.facts().replay = "EHLO client.test\r\nMAIL FROM:<a@client.test>\r\n";
  harness.facts().replay_replies = 1;
  start(StarttlsProtocol::smtp, StarttlsProtocol::none);
  EXPECT_EQ(readAvailable(server.get()), "") << "the replay began before the greeting";

  ASSERT_TRUE(writeAll(server.get(), "220 mail.test ESMTP\r\n"));
  EXPECT_EQ(serverReadsLine(), "EHLO client.test\r\n");
  EXPECT_FALSE(harness.outcome().has_value()) << "the phase ended before the EHLO reply";
  ASSERT_TRUE(writeAll(server.get(), "250-mail.test\r\n250 STARTTLS\r\n"));
  EXPECT_EQ(serverReadsLine(), "MAIL FROM:<a@client.test>\r\n");

  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_EQ(readAvailable(client.get()), "") << "a dropped reply was forwarded";
  EXPECT_TRUE(harness.finish());
}

// psql's sslmode=prefer asks the server for TLS itself; tlsgate, which
// does the encryption, says no to it in the server's place.
TEST_F(BackendStarttlsPhaseTest, PostgresDeclinesTheClientsOwnSslRequest) {
  const std::string ssl_request("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
  // A StartupMessage's head: length, then protocol 3.0.
  const std::string startup("\x00\x00\x00\x29\x00\x03\x00\x00", 8);
  ASSERT_TRUE(writeAll(client.get(), ssl_request + startup));
  start(StarttlsProtocol::none, StarttlsProtocol::postgres);

  std::string request;
  ASSERT_TRUE(harness.receive(server.get(), request, ssl_request));
  EXPECT_EQ(request, ssl_request);
  EXPECT_FALSE(harness.outcome().has_value()) << "the phase ended before the server answered";
  ASSERT_TRUE(writeAll(server.get(), "S"));

  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  std::string answer;
  ASSERT_TRUE(harness.receive(client.get(), answer, "N"));
  EXPECT_EQ(answer, "N");
  EXPECT_EQ(peekAll(harness.client().rx), startup) << "the client's next message must stay";
  EXPECT_TRUE(harness.finish());
}

}  // namespace
}  // namespace tlsgate::test
