#include "tls/failure_reason.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/tls_session.h"

namespace tlsgate {
namespace {

std::string explain(int reason, TlsRole role, bool handshake_done = false) {
  // The daemon loads OpenSSL's error strings when it creates its first
  // context; a test that runs alone has to ask.
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  ERR_clear_error();
  ERR_raise(ERR_LIB_SSL, reason);
  FailureContext context;
  context.role = role;
  context.ssl_error = SSL_ERROR_SSL;
  context.handshake_done = handshake_done;
  return describeTlsFailure(context);
}

TEST(FailureReasonTest, TranslatesOpenSslReasonsIntoActions) {
  EXPECT_EQ(explain(SSL_R_WRONG_VERSION_NUMBER, TlsRole::server),
            "peer spoke plaintext to a TLS port");
  EXPECT_EQ(explain(SSL_R_PACKET_LENGTH_TOO_LONG, TlsRole::server), "HTTP sent to a TLS port");
  EXPECT_EQ(explain(SSL_R_HTTP_REQUEST, TlsRole::server), "HTTP sent to a TLS port");
  EXPECT_EQ(explain(SSL_R_UNEXPECTED_EOF_WHILE_READING, TlsRole::server, true),
            "peer closed without close_notify");
  EXPECT_EQ(explain(SSL_R_WRONG_VERSION_NUMBER, TlsRole::client),
            "server did not answer with TLS (is it a plaintext port?)");
}

TEST(FailureReasonTest, ExplainsReceivedAlerts) {
  EXPECT_NE(explain(SSL_AD_REASON_OFFSET + SSL_AD_UNKNOWN_CA, TlsRole::client).find("unknown CA"),
            std::string::npos);
  EXPECT_EQ(explain(SSL_AD_REASON_OFFSET + SSL_AD_CERTIFICATE_REQUIRED, TlsRole::client),
            "server requires a client certificate (set cert and key on the connect side)");
}

TEST(FailureReasonTest, UnknownReasonsKeepOpenSslText) {
  EXPECT_EQ(explain(SSL_R_BAD_LENGTH, TlsRole::server), "TLS error: bad length");
}

TEST(FailureReasonTest, VerifyFailureNamesDepthSubjectAndError) {
  VerifyFailure failure{1, X509_V_ERR_CERT_HAS_EXPIRED, "CN=intermediate"};
  EXPECT_EQ(describeVerifyFailure(failure),
            "certificate verify failed at depth 1 (CN=intermediate): certificate has expired");
}

TEST(FailureReasonTest, DrainsTheErrorQueue) {
  explain(SSL_R_WRONG_VERSION_NUMBER, TlsRole::server);
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

}  // namespace
}  // namespace tlsgate
