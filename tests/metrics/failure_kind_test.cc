#include "metrics/failure_kind.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tls/failure_reason.h"
#include "tls/tls_session.h"

namespace tlsgate {
namespace {

// The sentence failure_reason.cc writes for an OpenSSL reason code.
std::string explain(int reason, Side side, bool handshake_done = false) {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  ERR_clear_error();
  ERR_raise(ERR_LIB_SSL, reason);
  FailureContext context;
  context.side = side;
  context.ssl_error = SSL_ERROR_SSL;
  context.handshake_done = handshake_done;
  return describeTlsFailure(context);
}

std::string alert(int alert, Side side = Side::accept) {
  return explain(SSL_AD_REASON_OFFSET + alert, side);
}

struct Case {
  std::string sentence;
  FailureKind kind;
};

void expectKinds(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(failureKindName(classifyFailure(c.sentence)), failureKindName(c.kind))
        << "\"" << c.sentence << "\"";
  }
}

TEST(FailureKindTest, SortsWhatOpenSslReasonsBecome) {
  constexpr Side kServer = Side::accept;
  constexpr Side kClient = Side::connect;
  expectKinds({
      {explain(SSL_R_WRONG_VERSION_NUMBER, kServer), FailureKind::plaintext_to_tls_port},
      {explain(SSL_R_WRONG_VERSION_NUMBER, kClient), FailureKind::plaintext_to_tls_port},
      {explain(SSL_R_HTTP_REQUEST, kServer), FailureKind::http_to_tls_port},
      {explain(SSL_R_HTTPS_PROXY_REQUEST, kServer), FailureKind::http_to_tls_port},
      // Without first bytes that look like HTTP, an oversized record.
      {explain(SSL_R_PACKET_LENGTH_TOO_LONG, kServer), FailureKind::bad_record},
      {explain(SSL_R_PACKET_LENGTH_TOO_LONG, kClient), FailureKind::bad_record},
      {explain(SSL_R_HTTP_REQUEST, kServer), FailureKind::http_to_tls_port},
      {explain(SSL_R_UNEXPECTED_EOF_WHILE_READING, kServer), FailureKind::peer_closed},
      {explain(SSL_R_UNEXPECTED_EOF_WHILE_READING, kServer, true), FailureKind::peer_closed},
      {explain(SSL_R_CERTIFICATE_VERIFY_FAILED, kClient), FailureKind::certificate_verify},
      {explain(SSL_R_NO_SHARED_CIPHER, kServer), FailureKind::no_shared_cipher},
      {explain(SSL_R_UNSUPPORTED_PROTOCOL, kServer), FailureKind::protocol_version},
      {explain(SSL_R_VERSION_TOO_LOW, kServer), FailureKind::protocol_version},
      {explain(SSL_R_VERSION_TOO_HIGH, kClient), FailureKind::protocol_version},
      {explain(SSL_R_NO_PROTOCOLS_AVAILABLE, kClient), FailureKind::protocol_version},
      {explain(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE, kServer),
       FailureKind::no_client_certificate},
      {explain(SSL_R_NO_APPLICATION_PROTOCOL, kServer), FailureKind::alpn},
      {explain(SSL_R_NO_SUITABLE_KEY_SHARE, kServer), FailureKind::no_shared_cipher},
      {explain(SSL_R_NO_SUITABLE_GROUPS, kClient), FailureKind::no_shared_cipher},
      {explain(SSL_R_NO_SHARED_GROUPS, kServer), FailureKind::no_shared_cipher},
      {explain(SSL_R_RECORD_LENGTH_MISMATCH, kServer), FailureKind::bad_record},
      {explain(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, kServer), FailureKind::bad_record},
      {explain(SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED, kServer), FailureKind::bad_record},
      {explain(SSL_R_NO_RENEGOTIATION, kClient), FailureKind::bad_record},
      {explain(SSL_R_BAD_LENGTH, kServer), FailureKind::other},  // "TLS error: bad length"
  });
}

TEST(FailureKindTest, SortsWhatPeerAlertsBecome) {
  expectKinds({
      {alert(SSL_AD_UNKNOWN_CA, Side::connect), FailureKind::peer_rejected_certificate},
      {alert(SSL_AD_BAD_CERTIFICATE), FailureKind::peer_rejected_certificate},
      {alert(SSL_AD_UNSUPPORTED_CERTIFICATE), FailureKind::peer_rejected_certificate},
      {alert(SSL_AD_CERTIFICATE_UNKNOWN), FailureKind::peer_rejected_certificate},
      {alert(SSL_AD_CERTIFICATE_EXPIRED), FailureKind::peer_rejected_certificate},
      {alert(SSL_AD_PROTOCOL_VERSION), FailureKind::protocol_version},
      {alert(SSL_AD_HANDSHAKE_FAILURE), FailureKind::no_shared_cipher},
      {alert(SSL_AD_INSUFFICIENT_SECURITY), FailureKind::no_shared_cipher},
      {alert(SSL_AD_UNRECOGNIZED_NAME, Side::connect), FailureKind::unknown_sni},
      {alert(SSL_AD_NO_APPLICATION_PROTOCOL, Side::connect), FailureKind::alpn},
      {alert(SSL_AD_CERTIFICATE_REQUIRED, Side::connect), FailureKind::no_client_certificate},
      {alert(SSL_AD_CERTIFICATE_REQUIRED, Side::accept), FailureKind::no_client_certificate},
      {alert(SSL_AD_DECODE_ERROR), FailureKind::peer_alert},
      {alert(SSL_AD_INTERNAL_ERROR), FailureKind::peer_alert},
  });
}

TEST(FailureKindTest, SortsVerifyFailuresAndAnEmptyQueue) {
  const VerifyFailure expired{0, X509_V_ERR_CERT_HAS_EXPIRED, "CN=backend"};
  FailureContext closed;
  closed.ssl_error = SSL_ERROR_SYSCALL;
  FailureContext nothing;
  nothing.ssl_error = SSL_ERROR_SSL;
  ERR_clear_error();
  expectKinds({
      {describeVerifyFailure(expired), FailureKind::certificate_verify},
      {describeTlsFailure(closed), FailureKind::peer_closed},
      {describeTlsFailure(nothing), FailureKind::other},  // "TLS error (SSL_get_error 1)"
  });
}

TEST(FailureKindTest, SortsThePolicyAndRecordLayerSentences) {
  expectKinds({
      {"handshake timed out after 10000ms (timeouts.handshake)", FailureKind::timeout},
      {"client certificate CN=x (sha256 ab12) matched none of the client_certs.allow rules",
       FailureKind::certificate_refused},
      {"server certificate CN=y (sha256 cd34) matches none of pin_sha256",
       FailureKind::certificate_refused},
      {"client asked for server name 'x.example', which no certificate of this listener serves",
       FailureKind::unknown_sni},
      {"peer sent a TLS record larger than TLS allows", FailureKind::bad_record},
      {"peer sent an unexpected TLS record after the handshake", FailureKind::bad_record},
      {"peer interleaved a TLS handshake message with other records", FailureKind::bad_record},
      {"peer sent alert: decode error", FailureKind::peer_alert},
      {"", FailureKind::other},
  });
}

TEST(FailureKindTest, NamesAreDistinctLabelValues) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kFailureKindCount; ++i) {
    const std::string_view name = failureKindName(static_cast<FailureKind>(i));
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos)
        << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kFailureKindCount);
  EXPECT_EQ(failureKindName(FailureKind::certificate_verify), "certificate_verify");
}

}  // namespace
}  // namespace tlsgate
