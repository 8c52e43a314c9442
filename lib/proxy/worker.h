// One event-loop thread. It owns a libuv loop, an Acceptor per listener
// (each with its own SO_REUSEPORT socket), a buffer pool and the
// connections it accepted. Nothing in a worker is shared with another
// worker except the read-only Listener objects and a few atomic counters.
//
// Other threads talk to a worker only through post(): the task runs on the
// worker's own loop. That is how a reload hands over a new generation, how
// the admin endpoint gathers live connections, and how a stop begins.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "metrics/listener_metrics.h"
#include "metrics/snapshots.h"
#include "proxy/handshake_scheduler.h"
#include "proxy/listener.h"
#include "tls/tls_session.h"
#include "util/buffer_pool.h"
#include "util/log_rate_limiter.h"

namespace tlsgate {

class Acceptor;
class Connection;

// State shared by all workers of one server.
struct WorkerShared {
  std::atomic<uint64_t> next_connection_id{1};
  std::atomic<uint64_t> active_connections{0};
};

// What one worker serves for one generation of the config.
struct WorkerAssignment {
  struct Entry {
    std::shared_ptr<const Listener> listener;
    ListenerMetrics* metrics = nullptr;
    // A new listening socket for this worker, or -1: keep the one this
    // worker already has for listener->listen_key.
    int fd = -1;
  };
  uint64_t generation = 1;
  std::shared_ptr<const GlobalConfig> global;
  std::vector<Entry> listeners;
};

class Worker {
 public:
  Worker(int index, WorkerShared& shared, WorkerAssignment assignment);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  Worker(Worker&&) = delete;
  Worker& operator=(Worker&&) = delete;

  // Starts accepting and runs the loop on a new thread.
  void start();
  // Thread-safe. Runs `task` on the worker's loop; false when the loop has
  // ended and the task will never run.
  bool post(std::function<void()> task);
  // Thread-safe: stop accepting, close connections that sit idle, let the
  // others finish for up to timeouts.drain, then close what is left and end
  // the loop.
  void requestStop();
  // Thread-safe: close every connection now and end the loop.
  void requestAbort(const std::string& reason);
  // Thread-safe: serve `assignment` from now on. Listeners whose socket is
  // not in it are closed; their connections finish on their own Listener.
  void assign(WorkerAssignment assignment);
  void join();

  // Thread-safe, for the watchdog: the steady-clock time in ms at which the
  // loop last ran its heartbeat timer. Starts the timer on first use.
  void enableHeartbeat(uint64_t interval_ms);
  uint64_t lastHeartbeatMs() const { return heartbeat_ms_.load(std::memory_order_relaxed); }
  // Thread-safe: the loop has ended (after a stop).
  bool finished() const { return finished_.load(std::memory_order_relaxed); }
  // Connections this worker closed because timeouts.drain expired.
  uint64_t drainForced() const { return drain_forced_.load(std::memory_order_relaxed); }
  // Thread-safe: accept-side TLS handshakes in progress (against
  // limits.max_handshakes).
  uint64_t handshakesInProgress() const { return handshakes_.inProgress(); }

  // On the worker's own thread: its live connections.
  std::vector<ConnectionSnapshot> snapshotConnections() const;

  // Used by connections, on the worker's own thread.
  int index() const { return index_; }
  uv_loop_t* loop() { return &loop_; }
  BufferPool& pool() { return pool_; }
  // Small chunks for what a client sends before its TLS session exists.
  BufferPool& smallPool() { return small_pool_; }
  HandshakeScheduler& handshakes() { return handshakes_; }
  std::span<std::byte> scratch() { return scratch_; }
  const GlobalConfig& global() const { return *global_; }
  bool draining() const { return stopping_; }
  uint64_t nextConnectionId() { return shared_.next_connection_id.fetch_add(1); }
  void add(Connection* connection);
  void remove(Connection* connection);
  // A connection freed its OpenSSL state and lives on (record_layer.h): the
  // worker trims the heap (util/heap_trim.h) a second later, so that one
  // trim follows a burst of them.
  void noteTlsStateFreed();
  // Lines about dropped connections: one a second per worker.
  LogRateLimiter& dropLog() { return drop_log_; }
  std::size_t connectionCount() const { return connection_count_; }
  // Connections open across all workers.
  uint64_t activeConnections() const { return shared_.active_connections.load(); }

  // A connection counts as idle during a drain once nothing has moved for
  // this long and nothing is buffered: a TCP proxy cannot see request
  // boundaries, so quiet is the best sign that a keep-alive connection sits
  // between requests.
  static constexpr uint64_t kDrainIdleMs = 1000;

 private:
  void run();
  void runTasks();
  void applyAssignment(WorkerAssignment assignment);
  void onStopRequested();
  void onDrainTimeout();
  void sweepIdle();
  void abortAll(const std::string& reason);
  void closeIfIdle();
  void closeAcceptors();
  void onAccepted(Acceptor& acceptor, int fd);
  void holdAccepting(bool hold);

  int index_;
  WorkerShared& shared_;
  uv_loop_t loop_{};
  std::shared_ptr<const GlobalConfig> global_;
  uint64_t generation_ = 1;
  // A chunk holds four whole TLS records (16 KiB of data each plus header
  // and tag), so a record goes out in one piece, and large reads and writes
  // keep the system calls per byte few.
  static constexpr std::size_t kChunkSize = std::size_t{64} * 1024 + 512;
  // What the pool keeps for reuse after a burst: 16 MiB.
  static constexpr std::size_t kMaxFreeChunks = 256;
  BufferPool pool_{kChunkSize, kMaxFreeChunks};
  // A ClientHello is a few hundred bytes to 2 kB: a stalled one holds one
  // chunk of 1 kB. Up to 1 MiB is kept for reuse.
  static constexpr std::size_t kSmallChunkSize = 1024;
  static constexpr std::size_t kMaxFreeSmallChunks = 1024;
  BufferPool small_pool_{kSmallChunkSize, kMaxFreeSmallChunks};
  // Plaintext passes through here between two TLS sessions (re-encrypt mode).
  std::array<std::byte, TlsSession::kReadRoom> scratch_{};
  std::map<std::string, Acceptor*> acceptors_;  // by Listener::listen_key
  HandshakeScheduler handshakes_{[this](bool full) { holdAccepting(full); }};

  std::mutex tasks_mutex_;
  std::vector<std::function<void()>> tasks_;  // guarded by tasks_mutex_
  bool tasks_open_ = true;                    // guarded by tasks_mutex_
  uv_async_t tasks_async_{};

  uv_timer_t drain_timer_{};
  uv_timer_t sweep_timer_{};
  uv_timer_t heartbeat_timer_{};
  uv_timer_t trim_timer_{};
  std::atomic<uint64_t> heartbeat_ms_{0};
  std::atomic<uint64_t> drain_forced_{0};
  std::atomic<bool> finished_{false};
  LogRateLimiter drop_log_{1000};
  bool stopping_ = false;
  bool loop_closing_ = false;
  bool started_ = false;
  Connection* connections_ = nullptr;  // intrusive list
  std::size_t connection_count_ = 0;
  std::thread thread_;
};

}  // namespace tlsgate
