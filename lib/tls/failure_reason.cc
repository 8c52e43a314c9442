#include "tls/failure_reason.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string_view>

#include "tls/tls_session.h"

namespace tlsgate {
namespace {

// The record layer's own words for the same failure (record_layer.cc).
constexpr const char* kCorruptRecord = "corrupt TLS record from peer (bad MAC)";

// After the handshake, the provider's AEAD reports a record that fails to
// decrypt, or is too short to hold its tag, in its own words ("cipher
// operation failed", "invalid aad", "invalid data"), and libssl adds only
// an internal error.
bool isRecordDecryptionError(unsigned long error, const FailureContext& context) {
  return context.handshake_done &&
         (ERR_GET_LIB(error) == ERR_LIB_PROV || ERR_GET_LIB(error) == ERR_LIB_EVP);
}

// An HTTP request line starts with a method, a token of capital letters
// (GET, OPTIONS, PRI, MKCALENDAR...), and a space; a response with "HTTP/".
bool looksLikeHttp(std::span<const std::byte> bytes, Side side) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (side == Side::connect) {
    return text.starts_with("HTTP/");
  }
  const std::size_t space = text.find(' ');
  return space != std::string_view::npos && space >= 3 &&
         std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(space),
                     [](char c) { return (c >= 'A' && c <= 'Z') || c == '-'; });
}

// The five-byte header of a TLS record: content type 20 (change_cipher_spec)
// to 24 (heartbeat), version 3.x.
bool looksLikeTlsHeader(std::span<const std::byte> bytes) {
  return bytes.size() >= 5 && bytes[0] >= std::byte{SSL3_RT_CHANGE_CIPHER_SPEC} &&
         bytes[0] <= std::byte{24} && bytes[1] == std::byte{0x03};
}

std::string oversizedRecord(const FailureContext& context) {
  std::string text = "peer sent a TLS record larger than TLS allows";
  if (!context.handshake_done && looksLikeTlsHeader(context.first_bytes)) {
    const std::size_t length = std::to_integer<std::size_t>(context.first_bytes[3]) << 8 |
                               std::to_integer<std::size_t>(context.first_bytes[4]);
    text += " (" + std::to_string(length) + " bytes)";
  }
  return text;
}

std::string describeReason(int reason, const FailureContext& context) {
  const bool server = context.side == Side::accept;
  const char* http =
      server ? "HTTP sent to a TLS port" : "server answered with plaintext HTTP, not TLS";
  switch (reason) {
    case SSL_R_WRONG_VERSION_NUMBER:
      if (!context.handshake_done && looksLikeHttp(context.first_bytes, context.side)) {
        return http;
      }
      return server ? "peer spoke plaintext to a TLS port"
                    : "server did not answer with TLS (is it a plaintext port?)";
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
      return http;
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_DATA_LENGTH_TOO_LONG:
      // OpenSSL says this for "GET /..." read as a header and for a real
      // header with a length above 2^14 + 2048 alike; the bytes tell which.
      if (!context.handshake_done && looksLikeHttp(context.first_bytes, context.side)) {
        return http;
      }
      return oversizedRecord(context);
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
      return kCorruptRecord;
    case SSL_R_LENGTH_TOO_SHORT:
      // After the handshake only a record too short for its nonce and tag
      // (or CBC's IV and MAC) is too short.
      return context.handshake_done ? kCorruptRecord : std::string();
    case SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED:
    case SSL_R_NO_RENEGOTIATION:
      return "peer tried to renegotiate, which tlsgate refuses";
    default:
      break;
  }
  if (reason > SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    return describePeerAlert(reason - SSL_AD_REASON_OFFSET, context.side);
  }
  return {};
}

}  // namespace

std::string describePeerAlert(int alert, Side side) {
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
      return side == Side::connect
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
  // The first error is the cause and later ones are consequences, except
  // that a failed decryption puts the provider's words ("cipher operation
  // failed", "invalid aad") before libssl's own: the first libssl error that
  // has an explanation wins, so TLS 1.2 and 1.3 read alike.
  unsigned long first = 0;
  std::string text;
  for (unsigned long error = ERR_get_error(); error != 0; error = ERR_get_error()) {
    if (first == 0) {
      first = error;
    }
    if (text.empty() && ERR_GET_LIB(error) == ERR_LIB_SSL) {
      text = describeReason(ERR_GET_REASON(error), context);
    }
  }
  if (!text.empty()) {
    return text;
  }
  if (first != 0 && isRecordDecryptionError(first, context)) {
    return kCorruptRecord;
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
