// Accept-side extras: DH parameters for DHE suites and OCSP stapling.
#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "tls/server_tls_context.h"
#include "tls/session_pair.h"
#include "util/config_error.h"

namespace tlsgate::test {
namespace {

std::string errorOf(const ServerTlsConfig& config) {
  try {
    ServerTlsContext::create(config);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// A syntactically valid OCSP response ("try later"): enough to staple.
std::string writeOcspResponse(const TestPki& pki) {
  OCSP_RESPONSE* response = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, nullptr);
  unsigned char* der = nullptr;
  const int length = i2d_OCSP_RESPONSE(response, &der);
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  OCSP_RESPONSE_free(response);
  return pki.writeFile("site.ocsp", bytes);
}

int recordStapleLength(SSL* ssl, void* arg) {
  const unsigned char* response = nullptr;
  *static_cast<long*>(arg) =  // NOLINT(google-runtime-int)
      SSL_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP, 0, &response);
  return 1;
}

class ServerSettingsTest : public ::testing::Test {
 protected:
  TestPki pki;
};

TEST_F(ServerSettingsTest, DhparamsEnableDheSuites) {
  ServerTlsConfig server = serverConfig(pki.issueRsa("rsa", "localhost", {"localhost"}));
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.protocols = {TlsProtocol::tls1_2};
  client.cipher = "DHE-RSA-AES128-GCM-SHA256";
  {
    SessionPair without(server, client);
    EXPECT_FALSE(without.handshake());
  }
  server.dhparams.value = pki.dir() + "/dh.pem";
  ASSERT_EQ(std::system(("openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:ffdhe2048 "
                         "-out " +
                         server.dhparams.value)
                            .c_str()),
            0);
  SessionPair with(server, client);
  ASSERT_TRUE(with.handshake()) << with.server->failureReason();
  EXPECT_EQ(with.server->cipher(), "DHE-RSA-AES128-GCM-SHA256");
}

// The TLS 1.2 suites a context without `cipher` enables.
std::vector<std::string> defaultTls12Suites(const ServerTlsConfig& config) {
  std::shared_ptr<TlsContext> context = ServerTlsContext::create(config);
  std::vector<std::string> names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(context->native());
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    std::string name = SSL_CIPHER_get_name(cipher);
    if (name.rfind("TLS_", 0) != 0) {  // TLS 1.3 suites have their RFC names
      names.push_back(std::move(name));
    }
  }
  return names;
}

TEST_F(ServerSettingsTest, DefaultTls12SuitesAreForwardSecretAeadOnly) {
  ServerTlsConfig server = serverConfig(pki.issueRsa("rsa", "localhost", {"localhost"}));
  const std::vector<std::string> suites = defaultTls12Suites(server);
  ASSERT_FALSE(suites.empty());
  for (const std::string& name : suites) {
    EXPECT_EQ(name.rfind("ECDHE-", 0), 0U) << name << " has no ECDHE key exchange";
    EXPECT_TRUE(name.find("GCM") != std::string::npos || name.find("CHACHA20") != std::string::npos)
        << name << " is not an AEAD suite (CBC suites are open to LUCKY13)";
  }
  // A client that offers only CBC suites finds nothing in common.
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
  client.protocols = {TlsProtocol::tls1_2};
  client.cipher = "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:AES128-GCM-SHA256";
  SessionPair cbc(server, client);
  EXPECT_FALSE(cbc.handshake());
  EXPECT_EQ(cbc.server->failureReason(),
            "no cipher suite in common with the peer (check cipher and ciphersuites)");
}

TEST_F(ServerSettingsTest, DhparamsAddDheSuitesAfterTheEcdheOnes) {
  ServerTlsConfig server = serverConfig(pki.issueRsa("rsa", "localhost", {"localhost"}));
  server.dhparams.value = pki.dir() + "/dh.pem";
  ASSERT_EQ(std::system(("openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:ffdhe2048 "
                         "-out " +
                         server.dhparams.value)
                            .c_str()),
            0);
  const std::vector<std::string> suites = defaultTls12Suites(server);
  ASSERT_FALSE(suites.empty());
  EXPECT_EQ(suites.front().rfind("ECDHE-", 0), 0U);
  EXPECT_TRUE(std::any_of(suites.begin(), suites.end(),
                          [](const std::string& name) { return name.rfind("DHE-", 0) == 0; }));
  for (const std::string& name : suites) {
    EXPECT_EQ(name.find("CBC"), std::string::npos) << name;
    EXPECT_NE(name.find('-'), std::string::npos) << name;
  }
}

TEST_F(ServerSettingsTest, BadDhparamsFileIsAStartupError) {
  ServerTlsConfig server = serverConfig(pki.issue("server", "localhost", {"localhost"}));
  server.dhparams = {pki.writeFile("dh.pem", "nothing here\n"), SourceMark{"t.yaml", 5, 19}};
  EXPECT_NE(errorOf(server).find("t.yaml:5:19: dhparams: " + server.dhparams.value +
                                 " holds no PEM DH parameters"),
            std::string::npos)
      << errorOf(server);
}

TEST_F(ServerSettingsTest, OcspResponseIsStapledForTheFirstCertificateWhenAsked) {
  ServerTlsConfig server = serverConfig(pki.issue("server", "localhost", {"localhost"}));
  const IssuedCertificate other = pki.issue("other", "other.example", {"other.example"});
  server.certificates.push_back(serverConfig(other).certificates.front());
  server.ocsp_staple.value = writeOcspResponse(pki);
  auto server_context = ServerTlsContext::create(server);

  const auto staple_length = [&](const std::string& servername, bool ask) {
    auto client_context = ClientTlsContext::create(clientConfig(pki.caPath(), servername));
    long length = -2;  // NOLINT(google-runtime-int)
    if (ask) {
      SSL_CTX_ctrl(client_context->native(), SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE,
                   TLSEXT_STATUSTYPE_ocsp, nullptr);
      SSL_CTX_callback_ctrl(client_context->native(), SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB,
                            reinterpret_cast<void (*)()>(recordStapleLength));
      SSL_CTX_ctrl(client_context->native(), SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG, 0, &length);
    }
    SessionPair pair(server_context, client_context);
    EXPECT_TRUE(pair.handshake()) << pair.client->failureReason();
    return length;
  };
  const auto expected = static_cast<long>(server_context->ocspResponse().size());  // NOLINT
  EXPECT_GT(expected, 0);
  EXPECT_EQ(staple_length("localhost", true), expected);
  EXPECT_EQ(staple_length("other.example", true), -1);  // asked, but nothing stapled
  EXPECT_EQ(staple_length("localhost", false), -2);     // not asked: no callback
}

TEST_F(ServerSettingsTest, BadOcspFileIsAStartupError) {
  ServerTlsConfig server = serverConfig(pki.issue("server", "localhost", {"localhost"}));
  server.ocsp_staple = {pki.writeFile("site.ocsp", "not DER"), SourceMark{"t.yaml", 6, 22}};
  EXPECT_NE(errorOf(server).find("t.yaml:6:22: ocsp_staple: " + server.ocsp_staple.value +
                                 " is not a DER OCSP response"),
            std::string::npos)
      << errorOf(server);
  server.ocsp_staple.value = pki.dir() + "/missing.ocsp";
  EXPECT_NE(errorOf(server).find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace tlsgate::test
