// Certificate selection by SNI on the accept side, through real handshakes.
#include <gtest/gtest.h>

#include <string>

#include "tls/session_pair.h"
#include "util/config_error.h"

namespace tlsgate::test {
namespace {

class SniTest : public ::testing::Test {
 protected:
  // The handshake's certificate subject as the client saw it, or the failure.
  std::string subjectServed(const std::string& sni, bool verify = true) {
    ClientTlsConfig client = clientConfig(pki.caPath(), sni);
    client.verify = verify;
    SessionPair pair(server, client);
    if (!pair.handshake()) {
      return "failed: " + pair.server->failureReason();
    }
    EXPECT_EQ(pair.server->servername(), sni);
    return pair.client->peerSubject();
  }

  TestPki pki;
  ServerTlsConfig server = [this] {
    ServerTlsConfig config =
        serverConfig(pki.issue("default", "default.example", {"default.example"}));
    config.certificates.push_back(
        certificate(pki.issue("api", "api.example.com", {"api.example.com"})));
    config.certificates.push_back(
        certificate(pki.issue("wild", "wildcard", {"*.example.com", "example.com"})));
    config.certificates.push_back(certificate(pki.issue("cn-only", "legacy.example", {})));
    return config;
  }();
};

TEST_F(SniTest, ExactNameSelectsItsCertificate) {
  EXPECT_EQ(subjectServed("api.example.com"), "CN=api.example.com");
}

TEST_F(SniTest, WildcardCoversOneLabel) {
  EXPECT_EQ(subjectServed("www.example.com"), "CN=wildcard");
  EXPECT_EQ(subjectServed("example.com"), "CN=wildcard");
  // Two labels below the wildcard are not covered: the default is served.
  EXPECT_EQ(subjectServed("a.b.example.com", false), "CN=default.example");
}

TEST_F(SniTest, ExactNameBeatsAnEarlierWildcard) {
  server.certificates.erase(server.certificates.begin() + 1);  // drop api.example.com
  server.certificates.push_back(certificate(pki.issue("api2", "api two", {"api.example.com"})));
  EXPECT_EQ(subjectServed("api.example.com"), "CN=api two");
}

TEST_F(SniTest, UpperCaseSniMatches) {
  EXPECT_EQ(subjectServed("API.EXAMPLE.COM"), "CN=api.example.com");
}

TEST_F(SniTest, CommonNameCountsOnlyWithoutSubjectAltNames) {
  EXPECT_EQ(subjectServed("legacy.example", false), "CN=legacy.example");
  // "wildcard" is the CN of a certificate that has SANs, so it is not a name.
  EXPECT_EQ(subjectServed("wildcard", false), "CN=default.example");
}

TEST_F(SniTest, UnknownNameGetsTheFirstCertificate) {
  EXPECT_EQ(subjectServed("unknown.test", false), "CN=default.example");
}

TEST_F(SniTest, UnknownNameIsRejectedWhenConfigured) {
  server.sni.reject_unknown = true;
  EXPECT_EQ(subjectServed("api.example.com"), "CN=api.example.com");
  SessionPair pair(server, clientConfig(pki.caPath(), "unknown.test"));
  EXPECT_FALSE(pair.handshake());
  EXPECT_EQ(pair.server->failureReason(),
            "client asked for server name 'unknown.test', which no certificate of this listener "
            "serves (sni: {unknown: reject})");
  pair.pump();  // the alert reaches the client
  EXPECT_EQ(pair.client->handshake().status, TlsStatus::failed);
  EXPECT_EQ(pair.client->failureReason(),
            "peer does not serve the server name we sent (check servername)");
}

TEST_F(SniTest, NoSniGetsTheDefaultEvenWhenRejectingUnknownNames) {
  server.sni.reject_unknown = true;
  // An IP address is never sent as SNI.
  ClientTlsConfig client = clientConfig(pki.caPath(), "127.0.0.1");
  client.verify = false;
  SessionPair pair(server, client);
  ASSERT_TRUE(pair.handshake()) << pair.server->failureReason();
  EXPECT_EQ(pair.server->servername(), "");
  EXPECT_EQ(pair.client->peerSubject(), "CN=default.example");
}

TEST_F(SniTest, RsaAndEcdsaForTheSameNamesSitSideBySide) {
  server.certificates.push_back(
      certificate(pki.issueRsa("api-rsa", "api rsa", {"api.example.com"})));
  auto server_context = ServerTlsContext::create(server);
  EXPECT_EQ(server_context->certificateGroups(), 4U);  // the RSA one joined api.example.com

  auto client_context = ClientTlsContext::create(clientConfig(pki.caPath(), "api.example.com"));
  SessionPair ecdsa(server_context, client_context);
  ASSERT_TRUE(ecdsa.handshake()) << ecdsa.client->failureReason();
  EXPECT_EQ(ecdsa.client->peerSubject(), "CN=api.example.com");

  // A client that can only verify RSA signatures gets the RSA certificate.
  ASSERT_EQ(SSL_CTX_set1_sigalgs_list(client_context->native(), "rsa_pss_rsae_sha256"), 1);
  SessionPair rsa(server_context, client_context);
  ASSERT_TRUE(rsa.handshake()) << rsa.client->failureReason() << rsa.server->failureReason();
  EXPECT_EQ(rsa.client->peerSubject(), "CN=api rsa");
}

TEST_F(SniTest, TwoCertificatesOfOneKeyTypeForTheSameNamesAreAnError) {
  server.certificates.push_back(
      certificate(pki.issue("api-again", "api again", {"api.example.com"})));
  server.certificates.back().cert.mark = SourceMark{"tlsgate.yaml", 9, 11};
  try {
    ServerTlsContext::create(server);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string error = e.what();
    EXPECT_NE(error.find("tlsgate.yaml:9:11: cert: "), std::string::npos) << error;
    EXPECT_NE(error.find("same names and the same key type (ECDSA)"), std::string::npos) << error;
  }
}

TEST_F(SniTest, SelectedContextKeepsTheSharedPolicy) {
  // ALPN and the client-certificate requirement live on every SSL_CTX.
  server.alpn = {"h2"};
  server.client_certs.mode = ClientCertMode::require;
  server.client_certs.cafile.value = pki.caPath();
  ClientTlsConfig client = clientConfig(pki.caPath(), "api.example.com");
  client.alpn = {"h2"};
  {
    SessionPair pair(server, client);
    EXPECT_FALSE(pair.handshake());
    pair.pump();
    pair.server->handshake();
    EXPECT_EQ(pair.server->failureReason(),
              "client sent no certificate, but client_certs mode is require");
  }
  client.client_certificate = certificate(pki.issue("client", "client", {}));
  SessionPair pair(server, client);
  ASSERT_TRUE(pair.handshake()) << pair.server->failureReason();
  EXPECT_EQ(pair.client->peerSubject(), "CN=api.example.com");
  EXPECT_EQ(pair.server->alpn(), "h2");
  EXPECT_EQ(pair.server->peerSubject(), "CN=client");
}

}  // namespace
}  // namespace tlsgate::test
