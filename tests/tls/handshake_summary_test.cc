#include "tls/handshake_summary.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "support/test_pki.h"
#include "tls/session_pair.h"
#include "x509/certificate_info.h"
#include "x509/openssl_ptr.h"

namespace tlsgate::test {
namespace {

class HandshakeSummaryTest : public ::testing::Test {
 protected:
  TestPki pki;
  IssuedCertificate server_cert = pki.issue("server", "localhost", {"localhost"});
};

TEST_F(HandshakeSummaryTest, EmptyUntilTheHandshakeIsDone) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  EXPECT_TRUE(pair.server->handshakeSummary().protocol.empty());
  EXPECT_TRUE(pair.server->handshakeSummary().cipher.empty());
  EXPECT_FALSE(pair.client->handshakeSummary().peer.present());
}

// A TLS 1.3 server session frees its SSL when the record layer takes over;
// its summary answers as the SSL would have, and as the client's does.
TEST_F(HandshakeSummaryTest, OutlivesTheHandOverToTheRecordLayer) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.alpn = {"h2"};
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.alpn = {"h2"};
  SessionPair pair(server, client);
  ASSERT_TRUE(pair.handshake());
  ASSERT_TRUE(pair.server->usesRecordLayer());
  const HandshakeSummary& ours = pair.server->handshakeSummary();
  const HandshakeSummary& theirs = pair.client->handshakeSummary();
  EXPECT_EQ(ours.protocol, "TLSv1.3");
  EXPECT_EQ(ours.protocol, theirs.protocol);
  EXPECT_FALSE(ours.cipher.empty());
  EXPECT_EQ(ours.cipher, theirs.cipher);
  EXPECT_EQ(ours.alpn, "h2");
  EXPECT_EQ(ours.servername, "localhost");
  EXPECT_EQ(theirs.servername, "localhost");
  EXPECT_FALSE(ours.resumed);
  EXPECT_FALSE(ours.peer.present());
  EXPECT_TRUE(ours.peer_der.empty());
}

TEST_F(HandshakeSummaryTest, HoldsThePeerCertificateInDer) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.protocols = {TlsProtocol::tls1_2};
  SessionPair pair(server, clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake());
  const HandshakeSummary& summary = pair.client->handshakeSummary();
  EXPECT_EQ(summary.protocol, "TLSv1.2");
  EXPECT_EQ(pair.server->handshakeSummary().protocol, "TLSv1.2");
  EXPECT_EQ(summary.peer.subject, "CN=localhost");
  const auto* der = reinterpret_cast<const unsigned char*>(summary.peer_der.data());
  const auto length = static_cast<long>(summary.peer_der.size());  // NOLINT(google-runtime-int)
  X509Ptr decoded(d2i_X509(nullptr, &der, length));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(sha256Fingerprint(decoded.get()), summary.peer.sha256);
}

}  // namespace
}  // namespace tlsgate::test
