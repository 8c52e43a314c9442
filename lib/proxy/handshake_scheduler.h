// One worker's handshakes: how many are in progress, and when each may
// spend CPU on its next step.
//
// A handshake step is costly (key exchange, a signature: 0.1 to 1 ms),
// the bytes of an established connection are not. If every read ran its
// handshake step at once, one loop iteration under a flood of
// ClientHellos would run hundreds of them before it got to the data of
// the connections already open, and their round trips would grow to tens
// of milliseconds. So a handshake that has input waits in a FIFO, and the
// queue is drained in a uv_check, after the loop has served every socket
// that was ready, for at most kSliceNs per iteration (and at least one
// step). While steps are left over, a uv_idle keeps the next poll from
// blocking, so they go on at once, but only after the open connections'
// reads again. A fixed time slice is the simplest rule that keeps both
// sides moving: established data waits at most one slice, and handshakes
// still get most of the CPU when there is nothing else to do.
//
// The count of accept-side handshakes in progress (a TLS session made,
// not yet finished) is bounded by limits.max_handshakes: at the limit the
// worker stops accepting, and the kernel's listen queue holds the rest.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

namespace tlsgate {

class HandshakeScheduler;

// A handshake's place in the queue. It leaves the queue when destroyed.
class HandshakeTurn {
 public:
  HandshakeTurn() = default;
  ~HandshakeTurn();
  HandshakeTurn(const HandshakeTurn&) = delete;
  HandshakeTurn& operator=(const HandshakeTurn&) = delete;
  HandshakeTurn(HandshakeTurn&&) = delete;
  HandshakeTurn& operator=(HandshakeTurn&&) = delete;

  // Called when the turn comes; it runs the step (and takes the turn).
  std::function<void()> resume;

  bool queued() const { return scheduler_ != nullptr; }
  // True once, right after the scheduler gave this handshake its turn.
  bool take() { return std::exchange(granted_, false); }

 private:
  friend class HandshakeScheduler;
  HandshakeScheduler* scheduler_ = nullptr;  // set while queued
  HandshakeTurn* prev_ = nullptr;
  HandshakeTurn* next_ = nullptr;
  bool granted_ = false;
};

class HandshakeScheduler {
 public:
  // The handshake work one loop iteration does at most.
  static constexpr uint64_t kSliceNs = 1'000'000;

  // `on_full(true)` when the count reaches `max_in_progress`,
  // `on_full(false)` when it is below again.
  explicit HandshakeScheduler(std::function<void(bool)> on_full) : on_full_(std::move(on_full)) {}
  ~HandshakeScheduler() = default;
  HandshakeScheduler(const HandshakeScheduler&) = delete;
  HandshakeScheduler& operator=(const HandshakeScheduler&) = delete;
  HandshakeScheduler(HandshakeScheduler&&) = delete;
  HandshakeScheduler& operator=(HandshakeScheduler&&) = delete;

  // Starts the uv_check on `loop`, once the loop is initialised.
  void open(uv_loop_t* loop);
  // Closes the loop handles (the worker's own loop ends after this).
  void close();

  // Queues `turn` (once) for the next drain.
  void enqueue(HandshakeTurn& turn);
  void remove(HandshakeTurn& turn);
  std::size_t queued() const { return queued_; }

  // Accept-side handshakes in progress, against limits.max_handshakes.
  void setLimit(uint64_t max_in_progress);
  void started();
  void finished();
  // Thread-safe: /metrics reads it from the admin thread.
  uint64_t inProgress() const { return in_progress_.load(std::memory_order_relaxed); }
  bool full() const { return full_; }

 private:
  void drain();
  void update();

  uv_check_t check_{};
  uv_idle_t idle_{};
  std::function<void(bool)> on_full_;
  HandshakeTurn* head_ = nullptr;
  HandshakeTurn* tail_ = nullptr;
  std::size_t queued_ = 0;
  uint64_t limit_ = 0;  // 0: none
  // Written only on the worker's thread.
  std::atomic<uint64_t> in_progress_{0};
  bool full_ = false;
  bool idle_active_ = false;
};

}  // namespace tlsgate
