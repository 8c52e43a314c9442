// The admin HTTP endpoint: /metrics, /status, /connections and /healthz.
//
// It runs on a thread of its own with a pool of two request threads, away
// from the workers' event loops; every answer comes from the AdminSource,
// whose calls are thread-safe.
//
// With admin.token_file set, every route but /healthz needs
// "Authorization: Bearer <token>". /healthz stays open because probes such
// as Kubernetes' httpGet cannot carry a secret, and it tells nothing beyond
// "serving" or "not".
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "admin/admin_source.h"
#include "config/config.h"

namespace tlsgate {

class AdminHttpServer;

class AdminServer {
 public:
  // Binds the listen address and reads the token now, so that a port in use
  // or an unreadable token file stops startup before anything is served.
  // Throws ConfigError at the mark of global.admin.listen or
  // global.admin.token_file. `source` must outlive the server.
  AdminServer(const AdminConfig& config, AdminSource& source);
  ~AdminServer();

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;
  AdminServer(AdminServer&&) = delete;
  AdminServer& operator=(AdminServer&&) = delete;

  // Serves on a thread of its own until stop(). Returns once the server
  // accepts connections. Call it once.
  void start();

  // Stops serving, waits for the thread, closes the socket and removes a
  // unix socket file. Safe to call twice; the destructor calls it.
  void stop();

  // "127.0.0.1:9100", "[::1]:9100" or "unix:/run/tlsgate/admin.sock": what
  // was bound, with the port the kernel chose when the config said 0.
  std::string boundAddress() const;

 private:
  using Digest = std::array<unsigned char, 32>;

  void bindTcp(const Address& address);
  void bindUnix(const Address& address);
  void addRoutes();
  bool authorized(const std::string& authorization) const;

  AdminSource& source_;
  // SHA-256 of the token, so that comparing takes the same time whatever
  // the length and content of what a client sends. Unset: no token needed.
  std::optional<Digest> token_sha256_;
  std::string unix_path_;  // the socket file to remove on stop; empty for TCP
  std::string bound_address_;
  std::unique_ptr<AdminHttpServer> http_;
  std::thread thread_;
  std::atomic<bool> serve_ended_{false};
  bool stopped_ = false;
};

}  // namespace tlsgate
