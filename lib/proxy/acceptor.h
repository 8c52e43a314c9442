// Accepts connections from one listening socket on one worker's loop.
//
// tlsgate accepts by itself instead of through uv_listen, for two reasons:
// - Out of descriptors (EMFILE, ENFILE) or kernel memory, accept() fails
//   with the connection still queued, so a level-triggered poll wakes again
//   at once. libuv's remedy, one spare descriptor per loop, does not work
//   when several worker threads share the descriptor table, and it resets
//   the queued client without a word. The Acceptor instead stops watching
//   the socket, retries on a timer with back-off, and logs once per burst.
// - A socket is only a descriptor here, so a reload hands it from one
//   generation's Listener to the next without closing it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "metrics/listener_metrics.h"
#include "proxy/listener.h"

namespace tlsgate {

class Acceptor {
 public:
  // Called for each accepted socket (non-blocking, close-on-exec), which it
  // then owns.
  using AcceptHandler = std::function<void(Acceptor&, int fd)>;

  // Takes ownership of `fd`, a listening socket. Delete with close().
  static Acceptor* create(uv_loop_t* loop, int fd, std::shared_ptr<const Listener> listener,
                          ListenerMetrics* metrics, AcceptHandler handler);

  void start();
  // While held, the socket is not watched (the worker is at
  // limits.max_handshakes); releasing resumes unless a retry is pending.
  void hold(bool on);
  // Stops accepting and closes the socket; the Acceptor frees itself once
  // libuv has let go of its handles.
  void close();

  // A reload keeps the socket and moves it to the new generation.
  void assign(std::shared_ptr<const Listener> listener, ListenerMetrics* metrics);
  const std::shared_ptr<const Listener>& listener() const { return listener_; }
  ListenerMetrics& metrics() { return *metrics_; }

  // The first retry after running out of descriptors, and the longest.
  static constexpr uint64_t kFirstRetryMs = 10;
  static constexpr uint64_t kMaxRetryMs = 1000;
  // A burst of failures ends once accepting has gone on this long without
  // one; a listener that keeps hitting the limit logs one burst, not one
  // per retry.
  static constexpr uint64_t kBurstQuietMs = 1000;

  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;
  Acceptor(Acceptor&&) = delete;
  Acceptor& operator=(Acceptor&&) = delete;

 private:
  Acceptor(uv_loop_t* loop, int fd, std::shared_ptr<const Listener> listener,
           ListenerMetrics* metrics, AcceptHandler handler);

  void acceptPending();
  void pauseAfter(int error);
  void endBurst();

  static void onReadable(uv_poll_t* poll, int status, int events);
  static void onRetry(uv_timer_t* timer);
  static void onQuiet(uv_timer_t* timer);
  static void onClosed(uv_handle_t* handle);

  int fd_;
  std::shared_ptr<const Listener> listener_;
  ListenerMetrics* metrics_;
  AcceptHandler handler_;
  uv_poll_t poll_{};
  uv_timer_t retry_timer_{};
  uv_timer_t quiet_timer_{};  // runs from the first accept after a failure
  bool closing_ = false;
  bool held_ = false;
  bool started_ = false;
  int open_handles_ = 3;
  // A burst of failed accepts: whether one is on, when it began and last
  // failed, how many failures, the next delay.
  bool in_burst_ = false;
  bool quiet_pending_ = false;
  uint64_t burst_started_ms_ = 0;
  uint64_t last_failure_ms_ = 0;
  uint64_t burst_failures_ = 0;
  uint64_t retry_ms_ = kFirstRetryMs;
};

}  // namespace tlsgate
