// What one step of a TLS session reports to its owner.
#pragma once

#include <cstddef>

namespace tlsgate {

enum class TlsStatus {
  ok,             // progress: `bytes` tells how much
  want_input,     // nothing more until more ciphertext arrives
  end_of_stream,  // the peer sent close_notify: no more plaintext will come
  failed,         // the session is dead; failureReason() says why
};

struct TlsResult {
  TlsStatus status = TlsStatus::ok;
  std::size_t bytes = 0;
};

}  // namespace tlsgate
