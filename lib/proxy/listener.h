// A listener ready to serve: its config, its TLS contexts and its resolved
// addresses, shared read-only by every worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "config/config.h"
#include "proxy/socket_address.h"
#include "tls/tls_context.h"

namespace tlsgate {

// Counters kept per listener across all workers.
struct ListenerStats {
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_active{0};
  std::atomic<uint64_t> handshake_failures{0};
  std::atomic<uint64_t> backend_connect_failures{0};
};

struct Listener {
  ListenerConfig config;
  SocketAddress listen_address;
  SocketAddress backend_address;
  std::string backend_text;                       // for logs
  std::shared_ptr<const TlsContext> accept_tls;   // null: plaintext accept side
  std::shared_ptr<const TlsContext> connect_tls;  // null: plaintext connect side
  std::unique_ptr<ListenerStats> stats = std::make_unique<ListenerStats>();
};

// Resolves every address and loads every certificate, key and CA of the
// config. Opens no sockets, so `tlsgate check` uses it too. Throws
// ConfigError.
std::vector<std::shared_ptr<Listener>> buildListeners(const Config& config);

}  // namespace tlsgate
