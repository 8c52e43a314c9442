// Client certificates on the accept side, through real handshakes: the
// mode, the CA, the CRL and the allow rules.
#include <gtest/gtest.h>

#include <string>

#include "tls/session_pair.h"
#include "util/config_error.h"
#include "x509/certificate_info.h"

namespace tlsgate::test {
namespace {

std::string leafSha256(const IssuedCertificate& issued) {
  return sha256Fingerprint(loadCertificates(issued.cert_path).front().get());
}

class ClientCertsTest : public ::testing::Test {
 protected:
  ClientCertsTest() {
    server.client_certs.mode = ClientCertMode::require;
    server.client_certs.cafile.value = pki.caPath();
  }

  // Runs the handshake with `client_cert` (or none); true when admitted.
  bool admitted(const std::optional<IssuedCertificate>& client_cert) {
    ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
    if (client_cert) {
      client.client_certificate = certificate(*client_cert);
    }
    pair = std::make_unique<SessionPair>(server, client);
    // TLS 1.3: the client finishes first; the server's verdict follows.
    const bool done = pair->handshake();
    pair->readPostHandshake();
    pair->client->read(buffer);
    return done && pair->server->state() == TlsState::open &&
           pair->client->state() != TlsState::failed;
  }

  TestPki pki;
  ServerTlsConfig server = serverConfig(pki.issue("server", "localhost", {"localhost"}));
  IssuedCertificate billing = pki.issueWithSubjectAltName(
      "billing", "billing", "URI:spiffe://example.org/billing,DNS:billing.internal.example");
  IssuedCertificate other = pki.issueWithSubjectAltName(
      "other", "other", "URI:spiffe://example.org/other,DNS:other.elsewhere.example,IP:10.1.2.3");
  std::unique_ptr<SessionPair> pair;
  std::byte buffer[64]{};
};

TEST_F(ClientCertsTest, RequireAdmitsAVerifiedCertificate) {
  ASSERT_TRUE(admitted(billing)) << pair->server->failureReason();
  const PeerIdentity identity = pair->server->peerIdentity();
  EXPECT_EQ(identity.subject, "CN=billing");
  EXPECT_EQ(identity.common_name, "billing");
  EXPECT_EQ(identity.uris, std::vector<std::string>{"spiffe://example.org/billing"});
  EXPECT_EQ(identity.dns, std::vector<std::string>{"billing.internal.example"});
  EXPECT_EQ(identity.sha256, leafSha256(billing));
  EXPECT_FALSE(pair->client->peerIdentity().sha256.empty());  // the server's, on the client
}

TEST_F(ClientCertsTest, RequireRefusesNoCertificate) {
  EXPECT_FALSE(admitted(std::nullopt));
  EXPECT_EQ(pair->server->failureReason(),
            "client sent no certificate, but client_certs mode is require");
  EXPECT_FALSE(pair->server->peerIdentity().present());
}

TEST_F(ClientCertsTest, RequestAdmitsNoCertificate) {
  server.client_certs.mode = ClientCertMode::request;
  server.client_certs.allow.subject_cn = {"billing"};  // rules apply to certificates only
  EXPECT_TRUE(admitted(std::nullopt)) << pair->server->failureReason();
  EXPECT_FALSE(pair->server->peerIdentity().present());
}

TEST_F(ClientCertsTest, CertificateFromAnotherCaIsRefused) {
  TestPki stranger("stranger CA");
  EXPECT_FALSE(admitted(stranger.issue("client", "client", {})));
  EXPECT_NE(pair->server->failureReason().find("certificate verify failed at depth"),
            std::string::npos)
      << pair->server->failureReason();
}

TEST_F(ClientCertsTest, RevokedCertificateIsRefused) {
  server.client_certs.crl.value = pki.writeCrl("clients.crl", {other.cert_path});
  EXPECT_TRUE(admitted(billing)) << pair->server->failureReason();
  EXPECT_FALSE(admitted(other));
  EXPECT_EQ(pair->server->failureReason(),
            "certificate verify failed at depth 0 (CN=other): certificate revoked");
}

TEST_F(ClientCertsTest, UnreadableCrlIsAStartupError) {
  server.client_certs.crl = {pki.writeFile("bad.crl", "not a crl\n"), SourceMark{"t.yaml", 4, 12}};
  try {
    ServerTlsContext::create(server);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.yaml:4:12: client_certs.crl: cannot load a CRL"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(ClientCertsTest, AllowBySanUri) {
  server.client_certs.allow.san_uri = {"spiffe://example.org/billing"};
  EXPECT_TRUE(admitted(billing)) << pair->server->failureReason();
  EXPECT_FALSE(admitted(other));
  EXPECT_EQ(pair->server->failureReason(),
            "client certificate CN=other (sha256 " + leafSha256(other) +
                ") matched none of the client_certs.allow rules (subject_cn, san_dns, san_uri, "
                "san_ip, sha256)");
  // The client hears a bad_certificate alert.
  pair->pump();
  pair->client->read(buffer);
  EXPECT_EQ(pair->client->state(), TlsState::failed);
  EXPECT_EQ(pair->client->failureReason(),
            "peer rejected our certificate (alert: bad certificate)");
}

TEST_F(ClientCertsTest, AllowBySanDnsWildcard) {
  server.client_certs.allow.san_dns = {"*.internal.example"};
  EXPECT_TRUE(admitted(billing)) << pair->server->failureReason();
  EXPECT_FALSE(admitted(other));
}

TEST_F(ClientCertsTest, AllowBySanIpAndSubjectCn) {
  server.client_certs.allow.san_ip = {"10.1.2.3"};
  EXPECT_FALSE(admitted(billing));
  EXPECT_TRUE(admitted(other)) << pair->server->failureReason();
  server.client_certs.allow.subject_cn = {"billing"};
  EXPECT_TRUE(admitted(billing)) << pair->server->failureReason();
}

TEST_F(ClientCertsTest, AllowBySha256Pin) {
  server.client_certs.allow.sha256 = {leafSha256(other)};
  EXPECT_FALSE(admitted(billing));
  EXPECT_TRUE(admitted(other)) << pair->server->failureReason();
}

TEST_F(ClientCertsTest, Tls12RefusalWorksToo) {
  server.protocols = {TlsProtocol::tls1_2};
  server.client_certs.allow.subject_cn = {"billing"};
  EXPECT_TRUE(admitted(billing)) << pair->server->failureReason();
  EXPECT_FALSE(admitted(other));
  EXPECT_NE(pair->server->failureReason().find("matched none of the client_certs.allow rules"),
            std::string::npos);
}

}  // namespace
}  // namespace tlsgate::test
