#include "tls/failure_reason.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/tls_session.h"

namespace tlsgate {
namespace {

std::string describeReason(int reason, const FailureContext& context) {
  const bool server = context.role == TlsRole::server;
  switch (reason) {
    case SSL_R_WRONG_VERSION_NUMBER:
      return server ? "peer spoke plaintext to a TLS port"
                    : "server did not answer with TLS (is it a plaintext port?)";
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      return server ? "HTTP sent to a TLS port" : "server answered with plaintext HTTP, not TLS";
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return context.handshake_done ? "peer closed without close_notify"
                                    : "peer closed the connection during the handshake";
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      if (context.verify != nullptr && context.verify->error != 0) {
        return describeVerifyFailure(*context.verify);
      }
      return "certificate verify failed";
    case SSL_R_NO_SHARED_CIPHER:
      return "no cipher suite in common with the peer (check cipher and ciphersuites)";
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
      return "peer's TLS version is not enabled here (check protocols)";
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      return "no TLS version left to offer (check protocols and security_level)";
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return "client sent no certificate, but client_certs mode is require";
    case SSL_R_NO_APPLICATION_PROTOCOL:
      return "no ALPN protocol in common with the peer (check alpn)";
    case SSL_R_NO_SUITABLE_KEY_SHARE:
    case SSL_R_NO_SUITABLE_GROUPS:
    case SSL_R_NO_SHARED_GROUPS:
      return "no key exchange group in common with the peer (check groups)";
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
      return "corrupt TLS record from peer (bad MAC)";
    case SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED:
    case SSL_R_NO_RENEGOTIATION:
      return "peer tried to renegotiate, which tlsgate refuses";
    default:
      break;
  }
  if (reason > SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    return describePeerAlert(reason - SSL_AD_REASON_OFFSET, context.role);
  }
  return {};
}

}  // namespace

std::string describePeerAlert(int alert, TlsRole role) {
  switch (alert) {
    case SSL_AD_UNKNOWN_CA:
      return "peer rejected our certificate: unknown CA (give the peer our CA, or use a "
             "certificate it trusts)";
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_UNKNOWN:
      return std::string("peer rejected our certificate (alert: ") +
             SSL_alert_desc_string_long(alert) + ")";
    case SSL_AD_CERTIFICATE_EXPIRED:
      return "peer rejected our certificate: it has expired";
    case SSL_AD_PROTOCOL_VERSION:
      return "peer does not support any TLS version we allow (check protocols)";
    case SSL_AD_HANDSHAKE_FAILURE:
    case SSL_AD_INSUFFICIENT_SECURITY:
      return "peer found no acceptable parameters (check cipher, ciphersuites, groups, "
             "security_level)";
    case SSL_AD_UNRECOGNIZED_NAME:
      return "peer does not serve the server name we sent (check servername)";
    case SSL_AD_NO_APPLICATION_PROTOCOL:
      return "peer accepted none of our ALPN protocols (check alpn)";
    case SSL_AD_CERTIFICATE_REQUIRED:
      return role == TlsRole::client
                 ? "server requires a client certificate (set cert and key on the connect side)"
                 : "peer requires a certificate we did not send";
    default:
      return std::string("peer sent alert: ") + SSL_alert_desc_string_long(alert);
  }
}

std::string describeVerifyFailure(const VerifyFailure& failure) {
  std::string out = "certificate verify failed at depth " + std::to_string(failure.depth);
  if (!failure.subject.empty()) {
    out += " (" + failure.subject + ")";
  }
  out += ": ";
  out += X509_verify_cert_error_string(failure.error);
  return out;
}

std::string describeTlsFailure(const FailureContext& context) {
  // The first error is the cause; later ones are consequences.
  unsigned long first = ERR_get_error();
  while (ERR_get_error() != 0) {
  }

  if (first != 0 && ERR_GET_LIB(first) == ERR_LIB_SSL) {
    std::string text = describeReason(ERR_GET_REASON(first), context);
    if (!text.empty()) {
      return text;
    }
  }
  if (first != 0) {
    const char* reason = ERR_reason_error_string(first);
    return std::string("TLS error: ") + (reason != nullptr ? reason : "unknown");
  }
  if (context.verify != nullptr && context.verify->error != 0) {
    return describeVerifyFailure(*context.verify);
  }
  if (context.ssl_error == SSL_ERROR_SYSCALL || context.input_ended) {
    return context.handshake_done ? "peer closed without close_notify"
                                  : "peer closed the connection during the handshake";
  }
  return "TLS error (SSL_get_error " + std::to_string(context.ssl_error) + ")";
}

}  // namespace tlsgate
