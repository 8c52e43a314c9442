// The running proxy: the listeners of one config served by `workers`
// event-loop threads, and the reloads that replace that config.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/metrics_registry.h"
#include "metrics/snapshots.h"
#include "proxy/listener.h"
#include "proxy/worker.h"

namespace tlsgate {

// A listening socket the process was given (systemd socket activation),
// with the name systemd gave it (FileDescriptorName=).
struct InheritedSocket {
  int fd = -1;
  std::string name;
};

// What a reload changed.
struct ReloadSummary {
  uint64_t generation = 0;
  std::size_t kept = 0;     // listeners that kept their sockets
  std::size_t added = 0;    // listeners on addresses that are new
  std::size_t removed = 0;  // sockets closed
};

class Server {
 public:
  // Loads every certificate, resolves every address and binds every
  // listening socket (one per worker and listener, unless an inherited
  // socket serves the listener), so that all startup errors surface here as
  // ConfigError, before any thread starts. The server takes the inherited
  // sockets; one that no listener claims is closed with a warning.
  Server(const Config& config, MetricsRegistry& metrics,
         const std::vector<InheritedSocket>& inherited = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;

  void start();
  // Puts `config` in force as the next generation. Everything is loaded,
  // resolved and bound first; on any error this throws ConfigError and the
  // running config stays as it was. Sockets of listeners whose address is
  // unchanged are kept, so no connection attempt is refused; connections
  // already open finish on the Listener (and TLS contexts) they started on.
  // Not thread-safe: call from one thread.
  ReloadSummary reload(const Config& config);

  // Thread-safe: stop accepting and drain (timeouts.drain).
  void stop();
  // Thread-safe: close every connection now, logging `reason` for each.
  void abort(const std::string& reason);
  // Blocks until every worker has finished.
  void wait();

  std::size_t workerCount() const { return workers_.size(); }
  // Thread-safe.
  uint64_t generation() const;
  std::vector<std::shared_ptr<const Listener>> listeners() const;
  uint64_t activeConnections() const { return shared_.active_connections.load(); }
  // Connections closed because timeouts.drain expired, over all workers.
  uint64_t drainForced() const;
  // Thread-safe: accept-side TLS handshakes in progress over all workers,
  // and the most there can be, limits.max_handshakes on every worker.
  uint64_t handshakesInProgress() const;
  uint64_t handshakeLimit() const;
  // Asks every worker for its live connections and waits up to `bound`.
  ConnectionListing connections(std::chrono::milliseconds bound);

  // Watchdog support: each worker's loop stamps a heartbeat every
  // `interval_ms`. workersResponsive() says whether every running worker
  // stamped within `max_age_ms`; `stuck` names the first one that did not.
  void enableHeartbeat(uint64_t interval_ms);
  bool workersResponsive(uint64_t max_age_ms, int* stuck) const;

  // workers: auto -> one per CPU.
  static int resolveWorkerCount(int configured);

 private:
  struct Generation {
    uint64_t number = 1;
    std::shared_ptr<const GlobalConfig> global;
    std::vector<std::shared_ptr<const Listener>> listeners;
  };

  WorkerAssignment assignmentFor(const Generation& generation,
                                 const std::vector<std::vector<int>>& sockets, std::size_t index);
  std::vector<int> socketsFor(const Listener& listener);
  std::map<std::string, int>::const_iterator inheritedFor(const Listener& listener) const;
  void adoptInherited(const std::vector<InheritedSocket>& inherited);

  MetricsRegistry& metrics_;
  WorkerShared shared_;
  mutable std::mutex mutex_;  // guards current_ for readers on other threads
  Generation current_;
  // Inherited sockets by listener name or address, kept for later reloads
  // (they cannot be bound again).
  std::map<std::string, int> inherited_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool started_ = false;
};

}  // namespace tlsgate
