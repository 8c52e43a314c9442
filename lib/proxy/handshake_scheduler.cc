#include "proxy/handshake_scheduler.h"

#include <utility>

namespace tlsgate {

HandshakeTurn::~HandshakeTurn() {
  if (scheduler_ != nullptr) {
    scheduler_->remove(*this);
  }
}

void HandshakeScheduler::open(uv_loop_t* loop) {
  uv_check_init(loop, &check_);
  uv_idle_init(loop, &idle_);
  check_.data = this;
  idle_.data = this;
  uv_check_start(&check_,
                 [](uv_check_t* check) { static_cast<HandshakeScheduler*>(check->data)->drain(); });
  // The check handle alone does not keep the loop alive; it is unref'd so a
  // worker with nothing else open still ends.
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
}

void HandshakeScheduler::close() {
  for (uv_handle_t* handle :
       {reinterpret_cast<uv_handle_t*>(&check_), reinterpret_cast<uv_handle_t*>(&idle_)}) {
    if (uv_is_closing(handle) == 0) {
      uv_close(handle, nullptr);
    }
  }
}

void HandshakeScheduler::enqueue(HandshakeTurn& turn) {
  if (turn.scheduler_ != nullptr) {
    return;
  }
  turn.scheduler_ = this;
  turn.prev_ = tail_;
  turn.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &turn;
  } else {
    head_ = &turn;
  }
  tail_ = &turn;
  ++queued_;
  if (!idle_active_) {
    // Nothing may block the next poll while a step waits: the check that
    // runs it comes right after.
    idle_active_ = true;
    uv_idle_start(&idle_, [](uv_idle_t*) {});
  }
}

void HandshakeScheduler::remove(HandshakeTurn& turn) {
  if (turn.scheduler_ != this) {
    return;
  }
  if (turn.prev_ != nullptr) {
    turn.prev_->next_ = turn.next_;
  } else {
    head_ = turn.next_;
  }
  if (turn.next_ != nullptr) {
    turn.next_->prev_ = turn.prev_;
  } else {
    tail_ = turn.prev_;
  }
  turn.prev_ = turn.next_ = nullptr;
  turn.scheduler_ = nullptr;
  --queued_;
}

// Runs queued steps for one time slice. Only those queued before it began:
// a step that queues its handshake again waits for the next iteration.
void HandshakeScheduler::drain() {
  const uint64_t started = uv_hrtime();
  for (std::size_t left = queued_; left > 0 && head_ != nullptr; --left) {
    HandshakeTurn& turn = *head_;
    remove(turn);
    turn.granted_ = true;
    // May destroy `turn` (the handshake finished or the connection closed).
    turn.resume();
    if (uv_hrtime() - started >= kSliceNs) {
      break;
    }
  }
  if (head_ == nullptr && idle_active_) {
    idle_active_ = false;
    uv_idle_stop(&idle_);
  }
}

void HandshakeScheduler::setLimit(uint64_t max_in_progress) {
  limit_ = max_in_progress;
  update();
}

void HandshakeScheduler::started() {
  in_progress_.fetch_add(1, std::memory_order_relaxed);
  update();
}

void HandshakeScheduler::finished() {
  in_progress_.fetch_sub(1, std::memory_order_relaxed);
  update();
}

void HandshakeScheduler::update() {
  const bool full = limit_ > 0 && inProgress() >= limit_;
  if (full == full_) {
    return;
  }
  full_ = full;
  if (on_full_) {
    on_full_(full);
  }
}

}  // namespace tlsgate
