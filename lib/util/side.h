// Which end of a proxied connection something belongs to.
//
// tlsgate has one name for this, everywhere: the accept side faces the
// client that connected to a listener, the connect side the backend that
// tlsgate connects to. It is also the TLS role, since tlsgate is the TLS
// server on the accept side and the TLS client on the connect side, so TLS
// code asks "which side" rather than keeping a server/client enum of its own.
#pragma once

namespace tlsgate {

enum class Side { accept, connect };

// "accept" or "connect", as config keys and log lines spell it.
constexpr const char* sideName(Side side) {
  return side == Side::accept ? "accept" : "connect";
}

}  // namespace tlsgate
