// Turns OpenSSL's error queue into one sentence a person can act on.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "util/side.h"

namespace tlsgate {

struct VerifyFailure;

struct FailureContext {
  Side side = Side::accept;
  int ssl_error = 0;  // SSL_get_error()
  bool handshake_done = false;
  bool input_ended = false;  // the transport saw end of stream
  const VerifyFailure* verify = nullptr;
  // The first bytes the peer sent, which tell HTTP from a TLS record whose
  // length is too large, where OpenSSL's reason fits both.
  std::span<const std::byte> first_bytes;
};

// Drains this thread's OpenSSL error queue and explains the first error,
// e.g. "peer spoke plaintext to a TLS port" for "wrong version number".
std::string describeTlsFailure(const FailureContext& context);

// What an alert the peer sent means, e.g. "peer rejected our certificate:
// unknown CA". (OpenSSL's error queue holds alerts as SSL_AD_REASON_OFFSET
// plus the alert number.)
std::string describePeerAlert(int alert, Side side);

// "certificate verify failed at depth 0 (CN=example.com): certificate has expired"
std::string describeVerifyFailure(const VerifyFailure& failure);

}  // namespace tlsgate
