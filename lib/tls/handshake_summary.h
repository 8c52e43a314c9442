// What a finished handshake negotiated, taken once when it finishes.
//
// A session answers tls::status and the connection log from this, whether
// its SSL object is still there or was freed when a TLS 1.3 server session
// handed its connection over to the record layer.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "tls/peer_identity.h"

namespace tlsgate {

struct HandshakeSummary {
  std::string protocol;    // "TLSv1.3"
  std::string cipher;      // "TLS_AES_128_GCM_SHA256"
  std::string alpn;        // empty without ALPN
  std::string servername;  // SNI sent (client) or received (server)
  bool resumed = false;
  PeerIdentity peer;     // empty without a peer certificate
  std::string peer_der;  // the peer's certificate in DER, e.g. for PROXY v2
};

// The summary of the handshake `ssl` has completed.
HandshakeSummary summarizeHandshake(const SSL* ssl);

}  // namespace tlsgate
