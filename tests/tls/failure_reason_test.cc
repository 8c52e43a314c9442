#include "tls/failure_reason.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/proverr.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <span>
#include <string_view>

#include "tls/session_pair.h"
#include "tls/tls_session.h"

namespace tlsgate {
namespace {

std::string explain(int reason, Side side, bool handshake_done = false,
                    std::string_view first_bytes = {}) {
  // The daemon loads OpenSSL's error strings when it creates its first
  // context; a test that runs alone has to ask.
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  ERR_clear_error();
  ERR_raise(ERR_LIB_SSL, reason);
  FailureContext context;
  context.side = side;
  context.ssl_error = SSL_ERROR_SSL;
  context.handshake_done = handshake_done;
  context.first_bytes = std::as_bytes(std::span(first_bytes));
  return describeTlsFailure(context);
}

TEST(FailureReasonTest, TranslatesOpenSslReasonsIntoActions) {
  EXPECT_EQ(explain(SSL_R_WRONG_VERSION_NUMBER, Side::accept),
            "peer spoke plaintext to a TLS port");
  EXPECT_EQ(explain(SSL_R_HTTP_REQUEST, Side::accept), "HTTP sent to a TLS port");
  EXPECT_EQ(explain(SSL_R_UNEXPECTED_EOF_WHILE_READING, Side::accept, true),
            "peer closed without close_notify");
  EXPECT_EQ(explain(SSL_R_WRONG_VERSION_NUMBER, Side::connect),
            "server did not answer with TLS (is it a plaintext port?)");
}

TEST(FailureReasonTest, TellsHttpFromAnOversizedRecordByTheBytes) {
  using namespace std::string_view_literals;
  EXPECT_EQ(explain(SSL_R_PACKET_LENGTH_TOO_LONG, Side::accept, false, "GET / HTTP/1.1\r\n"),
            "HTTP sent to a TLS port");
  EXPECT_EQ(explain(SSL_R_PACKET_LENGTH_TOO_LONG, Side::accept, false, "\x16\x03\x01\xff\xff"sv),
            "peer sent a TLS record larger than TLS allows (65535 bytes)");
  EXPECT_EQ(explain(SSL_R_PACKET_LENGTH_TOO_LONG, Side::accept, true),
            "peer sent a TLS record larger than TLS allows");
  // Methods OpenSSL does not know reach it as a wrong version number.
  EXPECT_EQ(explain(SSL_R_WRONG_VERSION_NUMBER, Side::accept, false, "OPTIONS * HTTP/1.1"),
            "HTTP sent to a TLS port");
  EXPECT_EQ(explain(SSL_R_WRONG_VERSION_NUMBER, Side::accept, false, "SSH-2.0-OpenSSH_9.2"),
            "peer spoke plaintext to a TLS port");
  EXPECT_EQ(explain(SSL_R_WRONG_VERSION_NUMBER, Side::connect, false, "HTTP/1.1 400 Bad"),
            "server answered with plaintext HTTP, not TLS");
}

TEST(FailureReasonTest, ProviderDecryptErrorsReadAsACorruptRecord) {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  ERR_clear_error();
  ERR_raise(ERR_LIB_PROV, PROV_R_CIPHER_OPERATION_FAILED);
  ERR_raise(ERR_LIB_SSL, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
  FailureContext context;
  context.ssl_error = SSL_ERROR_SSL;
  context.handshake_done = true;
  EXPECT_EQ(describeTlsFailure(context), "corrupt TLS record from peer (bad MAC)");
}

TEST(FailureReasonTest, ExplainsReceivedAlerts) {
  EXPECT_NE(explain(SSL_AD_REASON_OFFSET + SSL_AD_UNKNOWN_CA, Side::connect).find("unknown CA"),
            std::string::npos);
  EXPECT_EQ(explain(SSL_AD_REASON_OFFSET + SSL_AD_CERTIFICATE_REQUIRED, Side::connect),
            "server requires a client certificate (set cert and key on the connect side)");
}

TEST(FailureReasonTest, UnknownReasonsKeepOpenSslText) {
  EXPECT_EQ(explain(SSL_R_BAD_LENGTH, Side::accept), "TLS error: bad length");
}

TEST(FailureReasonTest, VerifyFailureNamesDepthSubjectAndError) {
  VerifyFailure failure{1, X509_V_ERR_CERT_HAS_EXPIRED, "CN=intermediate"};
  EXPECT_EQ(describeVerifyFailure(failure),
            "certificate verify failed at depth 1 (CN=intermediate): certificate has expired");
}

TEST(FailureReasonTest, DrainsTheErrorQueue) {
  explain(SSL_R_WRONG_VERSION_NUMBER, Side::accept);
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

}  // namespace
}  // namespace tlsgate

namespace tlsgate::test {
namespace {

// What a server TlsSession says about bytes no TLS client would send.
std::string serverReasonFor(std::string_view bytes) {
  TestPki pki;
  SessionPair pair(serverConfig(pki.issue("server", "localhost", {"localhost"})),
                   clientConfig(pki.caPath(), "localhost"));
  pair.server_in.append(std::as_bytes(std::span(bytes)));
  pair.server->setInputEnded();
  std::byte buffer[512];
  EXPECT_EQ(pair.server->read(buffer).status, TlsStatus::failed);
  return pair.server->failureReason();
}

TEST(FailureReasonSessionTest, AnOversizedFirstRecordIsNotCalledHttp) {
  using namespace std::string_view_literals;
  EXPECT_EQ(serverReasonFor("\x16\x03\x01\xff\xff"sv),
            "peer sent a TLS record larger than TLS allows (65535 bytes)");
  EXPECT_EQ(serverReasonFor("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP sent to a TLS port");
  EXPECT_EQ(serverReasonFor("OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP sent to a TLS port");
  EXPECT_EQ(serverReasonFor("hello there\r\n"), "peer spoke plaintext to a TLS port");
}

struct DamagedRecordCase {
  const char* name;
  std::vector<TlsProtocol> protocols;
  const char* cipher;        // TLS 1.2
  const char* ciphersuites;  // TLS 1.3, a suite that stays on OpenSSL
};

class DamagedRecordTest : public ::testing::TestWithParam<DamagedRecordCase> {
 protected:
  // A record damaged by `damage` after the handshake, and what the server says.
  template <typename Damage>
  std::string reasonAfter(Damage damage) {
    const DamagedRecordCase& param = GetParam();
    ServerTlsConfig server = serverConfig(pki_.issue("server", "localhost", {"localhost"}));
    ClientTlsConfig client = clientConfig(pki_.caPath(), "localhost");
    server.protocols = param.protocols;
    server.cipher = param.cipher;
    server.ciphersuites = param.ciphersuites;
    client.cipher = param.cipher;
    client.ciphersuites = param.ciphersuites;
    SessionPair pair(server, client);
    if (!pair.handshake()) {
      return "handshake failed: " + pair.server->failureReason();
    }
    pair.readPostHandshake();
    EXPECT_FALSE(pair.server->usesRecordLayer()) << "the case is about OpenSSL's record path";
    const std::string payload(100, 'x');
    EXPECT_EQ(pair.client->write(std::as_bytes(std::span(payload))).status, TlsStatus::ok);
    std::vector<std::byte> record(pair.client_out.size());
    pair.client_out.read(record);
    damage(record);
    pair.server_in.append(record);
    std::byte buffer[512];
    EXPECT_EQ(pair.server->read(buffer).status, TlsStatus::failed);
    return pair.server->failureReason();
  }

  TestPki pki_;
};

// TLS 1.2 and TLS 1.3 on OpenSSL use the record layer's words
// (record_layer.cc), not the provider's ("cipher operation failed").
TEST_P(DamagedRecordTest, AFlippedTagBitIsACorruptRecord) {
  EXPECT_EQ(reasonAfter([](std::vector<std::byte>& record) { record.back() ^= std::byte{1}; }),
            "corrupt TLS record from peer (bad MAC)");
}

TEST_P(DamagedRecordTest, ARecordTooShortForItsTagIsACorruptRecord) {
  EXPECT_EQ(reasonAfter([](std::vector<std::byte>& record) {
              record.resize(5 + 7);
              record[3] = std::byte{0};
              record[4] = std::byte{7};
            }),
            "corrupt TLS record from peer (bad MAC)");
}

INSTANTIATE_TEST_SUITE_P(
    OpenSslRecordPaths, DamagedRecordTest,
    ::testing::Values(
        DamagedRecordCase{"tls12_aes_gcm", {TlsProtocol::tls1_2}, "ECDHE+AESGCM", ""},
        DamagedRecordCase{"tls12_chacha20", {TlsProtocol::tls1_2}, "ECDHE+CHACHA20", ""},
        DamagedRecordCase{"tls12_cbc", {TlsProtocol::tls1_2}, "ECDHE-ECDSA-AES128-SHA256", ""},
        DamagedRecordCase{"tls13_ccm", {TlsProtocol::tls1_3}, "", "TLS_AES_128_CCM_SHA256"}),
    [](const ::testing::TestParamInfo<DamagedRecordCase>& param_info) {
      return param_info.param.name;
    });

}  // namespace
}  // namespace tlsgate::test
