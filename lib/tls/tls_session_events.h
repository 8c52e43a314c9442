// What OpenSSL's callbacks (openssl_callbacks.h) tell the connection they
// run for, and the ciphertext its BIO moves.
//
// TlsSession implements both. A callback finds them through the SSL's
// ex_data and BIO data and knows nothing else of the session, so the
// callbacks do not depend on TlsSession and a test can stand in for it.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "tls/secret_tap.h"

namespace tlsgate {

// onSecret() (from SecretTap) receives every secret the handshake derives.
class TlsSessionEvents : public SecretTap {
 public:
  // A certificate of the peer's chain failed verification; the first one
  // reported is the one a failure reason names.
  virtual void onVerifyFailure(int depth, int error, std::string subject) = 0;
  // A tlsgate rule (sni.unknown, client_certs.allow, pin_sha256) refused the
  // peer; the first reason reported becomes the failure reason.
  virtual void onPolicyFailure(std::string reason) = 0;
  // OpenSSL has read or written a KeyUpdate after the handshake: its keys
  // are no longer the handshake's.
  virtual void onKeyUpdate() = 0;
  // The prefix of the debug-level handshake trace, e.g. "conn=7 accept".
  virtual const std::string& traceLabel() const = 0;
};

// The two ciphertext queues behind the SSL's BIO.
class CiphertextPipe {
 public:
  CiphertextPipe() = default;
  virtual ~CiphertextPipe() = default;
  CiphertextPipe(const CiphertextPipe&) = delete;
  CiphertextPipe& operator=(const CiphertextPipe&) = delete;
  CiphertextPipe(CiphertextPipe&&) = delete;
  CiphertextPipe& operator=(CiphertextPipe&&) = delete;

  // Takes up to out.size() bytes of input; 0 when there is none yet.
  virtual std::size_t readCiphertext(std::span<std::byte> out) = 0;
  // Queues all of `in` for the peer; it never blocks.
  virtual void writeCiphertext(std::span<const std::byte> in) = 0;
  // The transport ended and every byte it delivered has been read.
  virtual bool ciphertextEnded() const = 0;
  virtual std::size_t ciphertextPending() const = 0;
};

}  // namespace tlsgate
