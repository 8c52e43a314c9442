// The running proxy: the listeners of one config served by `workers`
// event-loop threads.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "proxy/listener.h"
#include "proxy/worker.h"

namespace tlsgate {

class Server {
 public:
  // Loads every certificate, resolves every address and binds every
  // listening socket (one per worker and listener), so that all startup
  // errors surface here as ConfigError, before any thread starts.
  explicit Server(const Config& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;

  void start();
  // Thread-safe: stop accepting and drain (timeouts.drain).
  void stop();
  // Blocks until every worker has finished.
  void wait();

  std::size_t workerCount() const { return workers_.size(); }
  const std::vector<std::shared_ptr<Listener>>& listeners() const { return listeners_; }

  // workers: auto -> one per CPU.
  static int resolveWorkerCount(int configured);

 private:
  std::unique_ptr<WorkerShared> shared_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace tlsgate
