// The bounded set of handshake failure reasons that metrics label with.
//
// Logs carry the whole sentence ("certificate verify failed at depth 0
// (CN=x): certificate has expired"); a metric label must come from a small
// fixed set, so each sentence is sorted into one of these kinds.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace tlsgate {

enum class FailureKind {
  plaintext_to_tls_port,  // "peer spoke plaintext to a TLS port", "server did not answer with TLS"
  http_to_tls_port,       // "HTTP sent to a TLS port"
  peer_closed,            // closed during the handshake
  timeout,                // timeouts.handshake
  certificate_verify,     // the peer's chain or name failed verification
  certificate_refused,    // a verified certificate refused by allow rules or pins
  no_client_certificate,  // client_certs: require and none was sent
  peer_rejected_certificate,  // the peer's alert about our certificate
  protocol_version,           // no TLS version in common
  no_shared_cipher,           // no cipher suite or group in common
  alpn,                       // no ALPN protocol in common
  unknown_sni,                // sni: {unknown: reject}
  peer_alert,                 // any other alert from the peer
  bad_record,                 // corrupt or oversized records, renegotiation
  other,
};

inline constexpr std::size_t kFailureKindCount = static_cast<std::size_t>(FailureKind::other) + 1;

// The label value, e.g. "certificate_verify".
std::string_view failureKindName(FailureKind kind);

// Sorts a failure reason as failure_reason.cc words it into its kind.
FailureKind classifyFailure(std::string_view reason);

}  // namespace tlsgate
