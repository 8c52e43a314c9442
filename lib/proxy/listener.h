// A listener ready to serve: its config, its TLS contexts and its resolved
// addresses, shared read-only by every worker and by the connections that
// started on it. A reload builds new Listeners; the old ones, and the TLS
// contexts they hold, are freed when their last connection ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/socket_address.h"
#include "tls/tls_context.h"

namespace tlsgate {

struct Listener {
  ListenerConfig config;
  uint64_t generation = 1;  // the config this listener belongs to
  SocketAddress listen_address;
  std::string listen_key;  // identifies the listening socket across reloads
  SocketAddress backend_address;
  std::string backend_text;                       // for logs
  std::shared_ptr<const TlsContext> accept_tls;   // null: plaintext accept side
  std::shared_ptr<const TlsContext> connect_tls;  // null: plaintext connect side
};

// Resolves every address and loads every certificate, key and CA of the
// config. Opens no sockets, so `tlsgate check` uses it too. Throws
// ConfigError.
std::vector<std::shared_ptr<const Listener>> buildListeners(const Config& config,
                                                            uint64_t generation = 1);

}  // namespace tlsgate
