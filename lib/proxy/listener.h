// A listener ready to serve: its config, its TLS contexts and its backends,
// shared read-only by every worker and by the connections that started on
// it. A reload builds new Listeners; the old ones, and the TLS contexts they
// hold, are freed when their last connection ends.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/socket_address.h"
#include "routing/backend_pool.h"
#include "tls/server_tls_context.h"
#include "tls/tls_context.h"

namespace tlsgate {

// One backend address of a connect side.
struct BackendTarget {
  Address address;
  std::string text;                       // for logs: "host:port" or "unix:/path"
  std::optional<SocketAddress> numeric;   // set for numeric hosts and unix paths
  std::shared_ptr<const TlsContext> tls;  // null: plaintext; its servername is this host's
};

// One connect side: the listener's own, or a route's.
struct BackendSet {
  ConnectConfig config;
  std::vector<BackendTarget> targets;  // at least one
  BackendTarget via;                   // the upstream proxy, when config.via is set
  std::string via_credentials;         // "user:password" from auth_file; empty: none
  // Balance and passive health, shared by every worker.
  std::unique_ptr<const BackendPool> pool;

  bool usesTls() const { return config.tls.has_value(); }
};

struct Listener {
  ListenerConfig config;
  uint64_t generation = 1;  // the config this listener belongs to
  SocketAddress listen_address;
  std::string listen_key;  // identifies the listening socket across reloads
  std::shared_ptr<const ServerTlsContext> accept_tls;     // null: plaintext accept side
  std::unique_ptr<const BackendSet> connect;              // the listener's own connect side
  std::vector<std::unique_ptr<const BackendSet>> routes;  // one per config.routes entry

  // The first backend's address, for logs and /status.
  const std::string& backendText() const { return connect->targets.front().text; }
};

// Resolves the listen addresses and loads every certificate, key, CA and
// credential file of the config. Opens no sockets and looks up no backend
// names (those are resolved when a connection needs them), so `tlsgate
// check` uses it too. Throws ConfigError.
std::vector<std::shared_ptr<const Listener>> buildListeners(const Config& config,
                                                            uint64_t generation = 1);

}  // namespace tlsgate
