// One event-loop thread. It owns a libuv loop, a listening socket per
// listener (SO_REUSEPORT), a buffer pool and the connections it accepted.
// Nothing in a worker is shared with another worker except the read-only
// Listener objects and a few atomic counters.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "config/config.h"
#include "proxy/listener.h"
#include "tls/tls_session.h"
#include "util/buffer_pool.h"

namespace tlsgate {

class Connection;

// State shared by all workers of one server.
struct WorkerShared {
  GlobalConfig global;
  std::atomic<uint64_t> next_connection_id{1};
  std::atomic<uint64_t> active_connections{0};
};

class Worker {
 public:
  // `listen_fds[i]` is this worker's socket for `listeners[i]`.
  Worker(int index, WorkerShared& shared, std::vector<std::shared_ptr<Listener>> listeners,
         std::vector<int> listen_fds);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  Worker(Worker&&) = delete;
  Worker& operator=(Worker&&) = delete;

  void start();  // runs the loop on a new thread
  // Thread-safe: stop accepting, let connections finish for up to
  // timeouts.drain, then close what is left and end the loop.
  void requestStop();
  void join();

  // Used by connections, on the worker's own thread.
  uv_loop_t* loop() { return &loop_; }
  BufferPool& pool() { return pool_; }
  std::span<std::byte> scratch() { return scratch_; }
  const GlobalConfig& global() const { return shared_.global; }
  uint64_t nextConnectionId() { return shared_.next_connection_id.fetch_add(1); }
  void add(Connection* connection);
  void remove(Connection* connection);
  std::size_t connectionCount() const { return connection_count_; }
  // Connections open across all workers.
  uint64_t activeConnections() const { return shared_.active_connections.load(); }

 private:
  struct ListenSlot {
    Worker* worker = nullptr;
    std::shared_ptr<Listener> listener;
    uv_tcp_t handle{};
    bool open = false;
  };

  void run();
  void onStopRequested();
  void onDrainTimeout();
  void closeIfIdle();
  static void onConnection(uv_stream_t* server, int status);

  int index_;
  WorkerShared& shared_;
  uv_loop_t loop_{};
  // A chunk holds four whole TLS records (16 KiB of data each plus header
  // and tag), so a record goes out in one piece, and large reads and writes
  // keep the system calls per byte few.
  static constexpr std::size_t kChunkSize = std::size_t{64} * 1024 + 512;
  // What the pool keeps for reuse after a burst: 16 MiB.
  static constexpr std::size_t kMaxFreeChunks = 256;
  BufferPool pool_{kChunkSize, kMaxFreeChunks};
  // Plaintext passes through here between two TLS sessions (re-encrypt mode).
  std::array<std::byte, TlsSession::kReadRoom> scratch_{};
  std::vector<std::unique_ptr<ListenSlot>> slots_;
  uv_async_t stop_async_{};
  uv_timer_t drain_timer_{};
  std::atomic<bool> stop_requested_{false};
  bool stopping_ = false;
  bool loop_closing_ = false;
  bool started_ = false;
  Connection* connections_ = nullptr;  // intrusive list
  std::size_t connection_count_ = 0;
  std::thread thread_;
};

}  // namespace tlsgate
