#include "metrics/failure_kind.h"

#include <utility>

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, kFailureKindCount> kNames = {
    "plaintext_to_tls_port",
    "http_to_tls_port",
    "peer_closed",
    "timeout",
    "certificate_verify",
    "certificate_refused",
    "no_client_certificate",
    "peer_rejected_certificate",
    "protocol_version",
    "no_shared_cipher",
    "alpn",
    "unknown_sni",
    "peer_alert",
    "bad_record",
    "other",
};

// The start of each sentence failure_reason.cc, record_layer.cc and the
// policy checks write, in the order they are tried.
constexpr std::pair<std::string_view, FailureKind> kPrefixes[] = {
    {"peer spoke plaintext", FailureKind::plaintext_to_tls_port},
    {"server did not answer with TLS", FailureKind::plaintext_to_tls_port},
    {"HTTP sent to a TLS port", FailureKind::http_to_tls_port},
    {"server answered with plaintext HTTP", FailureKind::http_to_tls_port},
    {"peer closed", FailureKind::peer_closed},
    {"handshake timed out", FailureKind::timeout},
    {"certificate verify failed", FailureKind::certificate_verify},
    {"client certificate ", FailureKind::certificate_refused},
    {"server certificate ", FailureKind::certificate_refused},
    {"client sent no certificate", FailureKind::no_client_certificate},
    {"server requires a client certificate", FailureKind::no_client_certificate},
    {"peer requires a certificate", FailureKind::no_client_certificate},
    {"peer rejected our certificate", FailureKind::peer_rejected_certificate},
    {"peer's TLS version", FailureKind::protocol_version},
    {"peer does not support any TLS version", FailureKind::protocol_version},
    {"no TLS version", FailureKind::protocol_version},
    {"no cipher suite", FailureKind::no_shared_cipher},
    {"no key exchange group", FailureKind::no_shared_cipher},
    {"peer found no acceptable parameters", FailureKind::no_shared_cipher},
    {"no ALPN protocol", FailureKind::alpn},
    {"peer accepted none of our ALPN", FailureKind::alpn},
    {"client asked for server name", FailureKind::unknown_sni},
    {"peer does not serve the server name", FailureKind::unknown_sni},
    {"peer sent alert", FailureKind::peer_alert},
    {"corrupt TLS record", FailureKind::bad_record},
    {"peer sent a", FailureKind::bad_record},
    {"peer interleaved", FailureKind::bad_record},
    {"peer tried to renegotiate", FailureKind::bad_record},
};

}  // namespace

std::string_view failureKindName(FailureKind kind) {
  return kNames.at(static_cast<std::size_t>(kind));
}

FailureKind classifyFailure(std::string_view reason) {
  for (const auto& [prefix, kind] : kPrefixes) {
    if (reason.starts_with(prefix)) {
      return kind;
    }
  }
  return FailureKind::other;
}

}  // namespace tlsgate
