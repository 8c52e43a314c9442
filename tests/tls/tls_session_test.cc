#include "tls/tls_session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tls/session_pair.h"

namespace tlsgate::test {
namespace {

std::span<const std::byte> bytesOf(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// Reads everything `reader` can decrypt now.
std::string drain(TlsSession& reader, TlsStatus* last = nullptr) {
  std::string out;
  std::vector<std::byte> buffer(std::size_t{16} * 1024);
  for (;;) {
    TlsResult result = reader.read(buffer);
    if (result.status != TlsStatus::ok) {
      if (last != nullptr) {
        *last = result.status;
      }
      return out;
    }
    out.append(reinterpret_cast<const char*>(buffer.data()), result.bytes);
  }
}

class TlsSessionTest : public ::testing::Test {
 protected:
  TestPki pki;
  IssuedCertificate server_cert = pki.issue("server", "localhost", {"localhost"}, {"127.0.0.1"});
};

TEST_F(TlsSessionTest, HandshakeVerifiesChainAndName) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake()) << pair.client->failureReason() << pair.server->failureReason();
  EXPECT_EQ(pair.client->state(), TlsState::open);
  EXPECT_EQ(pair.client->protocol(), "TLSv1.3");
  EXPECT_EQ(pair.server->servername(), "localhost");
  EXPECT_EQ(pair.client->peerSubject(), "CN=localhost");
  EXPECT_FALSE(pair.client->resumed());
}

TEST_F(TlsSessionTest, DataFlowsBothWaysByteExact) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake());

  std::string upload(std::size_t{300} * 1024, '\0');
  for (std::size_t i = 0; i < upload.size(); ++i) {
    upload[i] = static_cast<char>((i * 7919) % 251);
  }
  ASSERT_EQ(pair.client->write(bytesOf(upload)).status, TlsStatus::ok);
  pair.pump();
  EXPECT_EQ(drain(*pair.server), upload);

  const std::string reply = "reply from the server";
  ASSERT_EQ(pair.server->write(bytesOf(reply)).status, TlsStatus::ok);
  pair.pump();
  EXPECT_EQ(drain(*pair.client), reply);
}

TEST_F(TlsSessionTest, CloseNotifyIsAHalfClose) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake());

  ASSERT_EQ(pair.client->write(bytesOf("last words")).status, TlsStatus::ok);
  ASSERT_EQ(pair.client->shutdown().status, TlsStatus::ok);
  EXPECT_TRUE(pair.client->closeSent());
  pair.pump();

  TlsStatus last = TlsStatus::ok;
  EXPECT_EQ(drain(*pair.server, &last), "last words");
  EXPECT_EQ(last, TlsStatus::end_of_stream);
  EXPECT_TRUE(pair.server->peerClosed());
  EXPECT_FALSE(pair.server->closedWithoutNotify());
  EXPECT_EQ(pair.server->state(), TlsState::closing);

  // The other direction still flows after the client's close_notify.
  ASSERT_EQ(pair.server->write(bytesOf("still here")).status, TlsStatus::ok);
  ASSERT_EQ(pair.server->shutdown().status, TlsStatus::ok);
  EXPECT_EQ(pair.server->state(), TlsState::closed);
  pair.pump();
  EXPECT_EQ(drain(*pair.client, &last), "still here");
  EXPECT_EQ(last, TlsStatus::end_of_stream);
}

TEST_F(TlsSessionTest, EndOfStreamWithoutCloseNotifyIsNoted) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake());
  pair.server->setInputEnded();
  TlsStatus last = TlsStatus::ok;
  drain(*pair.server, &last);
  EXPECT_EQ(last, TlsStatus::end_of_stream);
  EXPECT_TRUE(pair.server->closedWithoutNotify());
}

TEST_F(TlsSessionTest, WrongNameFailsVerificationWithDepthAndReason) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "other.example"));
  EXPECT_FALSE(pair.handshake());
  EXPECT_EQ(pair.client->state(), TlsState::failed);
  EXPECT_EQ(pair.client->failureReason(),
            "certificate verify failed at depth 0 (CN=localhost): hostname mismatch");
}

TEST_F(TlsSessionTest, PeerNameOverridesTheNameVerified) {
  IssuedCertificate other = pki.issue("other", "backend.internal", {"backend.internal"});
  ClientTlsConfig client = clientConfig(pki.caPath(), "public.example");
  client.peer_name = "backend.internal";
  SessionPair pair(serverConfig(other), client);
  ASSERT_TRUE(pair.handshake()) << pair.client->failureReason();
  EXPECT_EQ(pair.server->servername(), "public.example");
}

TEST_F(TlsSessionTest, UntrustedCaFailsVerification) {
  TestPki stranger("stranger CA");
  SessionPair pair(serverConfig(server_cert), clientConfig(stranger.caPath(), "localhost"));
  EXPECT_FALSE(pair.handshake());
  EXPECT_NE(pair.client->failureReason().find("certificate verify failed at depth 1"),
            std::string::npos)
      << pair.client->failureReason();
  // The server hears about it through the alert.
  pair.pump();
  EXPECT_EQ(pair.server->handshake().status, TlsStatus::failed);
  EXPECT_NE(pair.server->failureReason().find("unknown CA"), std::string::npos)
      << pair.server->failureReason();
}

TEST_F(TlsSessionTest, VerifyFalseAcceptsAnyCertificate) {
  TestPki stranger("stranger CA");
  ClientTlsConfig client = clientConfig(stranger.caPath(), "wrong.example");
  client.verify = false;
  SessionPair pair(serverConfig(server_cert), client);
  EXPECT_TRUE(pair.handshake()) << pair.client->failureReason();
}

TEST_F(TlsSessionTest, PlaintextToServerIsExplained) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  pair.server_in.append(bytesOf("hello there, plain text here\r\n"));
  EXPECT_EQ(pair.server->handshake().status, TlsStatus::failed);
  EXPECT_EQ(pair.server->failureReason(), "peer spoke plaintext to a TLS port");
}

TEST_F(TlsSessionTest, HttpToServerIsExplained) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  pair.server_in.append(bytesOf("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  EXPECT_EQ(pair.server->handshake().status, TlsStatus::failed);
  EXPECT_EQ(pair.server->failureReason(), "HTTP sent to a TLS port");
}

TEST_F(TlsSessionTest, EofDuringHandshakeIsExplained) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  pair.server->setInputEnded();  // the client connects and goes away
  EXPECT_EQ(pair.server->handshake().status, TlsStatus::failed);
  EXPECT_EQ(pair.server->failureReason(), "peer closed the connection during the handshake");
}

TEST_F(TlsSessionTest, ServerPicksAlpnInItsOwnOrder) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.alpn = {"h2", "http/1.1"};
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.alpn = {"http/1.1", "h2"};
  SessionPair pair(server, client);
  ASSERT_TRUE(pair.handshake());
  EXPECT_EQ(pair.server->alpn(), "h2");
  EXPECT_EQ(pair.client->alpn(), "h2");
}

TEST_F(TlsSessionTest, NoAlpnOverlapContinuesWithoutAlpn) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.alpn = {"h2"};
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.alpn = {"imap"};
  SessionPair pair(server, client);
  ASSERT_TRUE(pair.handshake());
  EXPECT_EQ(pair.server->alpn(), "");
}

TEST_F(TlsSessionTest, ProtocolPolicyIsEnforced) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.protocols = {TlsProtocol::tls1_3};
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.protocols = {TlsProtocol::tls1_2};
  SessionPair pair(server, client);
  EXPECT_FALSE(pair.handshake());
  EXPECT_NE(pair.server->failureReason().find("TLS version"), std::string::npos)
      << pair.server->failureReason();
}

TEST_F(TlsSessionTest, Tls12WorksWhenBothAllowIt) {
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.protocols = {TlsProtocol::tls1_2};
  SessionPair pair(serverConfig(server_cert), client);
  ASSERT_TRUE(pair.handshake());
  EXPECT_EQ(pair.server->protocol(), "TLSv1.2");
}

TEST_F(TlsSessionTest, RequiredClientCertificateIsEnforced) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.client_certs.mode = ClientCertMode::require;
  server.client_certs.cafile.value = pki.caPath();

  SessionPair without(server, clientConfig(pki.caPath(), "localhost"));
  EXPECT_FALSE(without.handshake());
  EXPECT_EQ(without.server->failureReason(),
            "client sent no certificate, but client_certs mode is require");

  IssuedCertificate client_cert = pki.issue("client", "billing", {"billing.internal"});
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.client_certificate = CertificateConfig{};
  client.client_certificate->cert.value = client_cert.cert_path;
  client.client_certificate->key.value = client_cert.key_path;
  SessionPair with(server, client);
  ASSERT_TRUE(with.handshake()) << with.server->failureReason();
  // TLS 1.3 checks the client's certificate after the client finishes.
  with.client->write(bytesOf("x"));
  with.pump();
  EXPECT_EQ(drain(*with.server), "x") << with.server->failureReason();
  EXPECT_EQ(with.server->peerSubject(), "CN=billing");
}

TEST_F(TlsSessionTest, IdleSessionsHoldNoQueueBuffers) {
  SessionPair pair(serverConfig(server_cert), clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake());
  ASSERT_EQ(pair.client->write(bytesOf("ping")).status, TlsStatus::ok);
  pair.pump();
  EXPECT_EQ(drain(*pair.server), "ping");
  pair.pump();
  drain(*pair.client);
  EXPECT_EQ(pair.pool.chunksInUse(), 0U);
}

}  // namespace
}  // namespace tlsgate::test
