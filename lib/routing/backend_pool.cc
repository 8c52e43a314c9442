#include "routing/backend_pool.h"

#include <algorithm>
#include <limits>

namespace tlsgate {

std::optional<std::size_t> BackendPool::Order::next() {
  if (position_ >= count_) {
    return std::nullopt;
  }
  return indices_[position_++];
}

BackendPool::BackendPool(std::size_t count, Balance balance, Duration fail_timeout)
    : count_(std::min(count, kMaxBackends)),
      balance_(balance),
      fail_timeout_ms_(fail_timeout.count() > 0 ? static_cast<uint64_t>(fail_timeout.count()) : 0) {
}

BackendPool::Order BackendPool::order(uint64_t now_ms) const {
  Order order;
  if (count_ == 0) {
    return order;
  }
  const uint64_t turn =
      balance_ == Balance::round_robin ? next_start_.fetch_add(1, std::memory_order_relaxed) : 0;

  // Healthy backends in index order at the front, the ones that are down
  // after them.
  std::array<uint8_t, kMaxBackends> down{};
  std::size_t healthy_count = 0;
  std::size_t down_count = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    if (isDown(i, now_ms)) {
      down[down_count++] = static_cast<uint8_t>(i);
    } else {
      order.indices_[healthy_count++] = static_cast<uint8_t>(i);
    }
  }
  std::copy_n(down.begin(), down_count, order.indices_.begin() + healthy_count);
  order.count_ = static_cast<uint8_t>(count_);

  // Rotating among the healthy ones only spreads the load evenly over them;
  // rotating over all would hand a down backend's turns to its neighbour.
  const auto rotate = [turn](uint8_t* first, std::size_t n) {
    if (n > 1) {
      std::rotate(first, first + turn % n, first + n);
    }
  };
  rotate(order.indices_.data(), healthy_count);
  rotate(order.indices_.data() + healthy_count, down_count);
  return order;
}

void BackendPool::markFailed(std::size_t index, uint64_t now_ms) const {
  if (index >= count_ || fail_timeout_ms_ == 0) {
    return;
  }
  const uint64_t until = now_ms > std::numeric_limits<uint64_t>::max() - fail_timeout_ms_
                             ? std::numeric_limits<uint64_t>::max()
                             : now_ms + fail_timeout_ms_;
  // Workers' clocks are read at slightly different moments, so a failure
  // reported late must not shorten the time a later one set.
  std::atomic<uint64_t>& slot = down_until_ms_[index];
  uint64_t current = slot.load(std::memory_order_relaxed);
  while (current < until &&
         !slot.compare_exchange_weak(current, until, std::memory_order_relaxed)) {
  }
}

void BackendPool::markOk(std::size_t index) const {
  if (index >= count_) {
    return;
  }
  // Every connection that connects says so; only a backend that was down
  // needs the write, and skipping it keeps the line shared between workers.
  std::atomic<uint64_t>& slot = down_until_ms_[index];
  if (slot.load(std::memory_order_relaxed) != 0) {
    slot.store(0, std::memory_order_relaxed);
  }
}

bool BackendPool::isDown(std::size_t index, uint64_t now_ms) const {
  return index < count_ && now_ms < down_until_ms_[index].load(std::memory_order_relaxed);
}

}  // namespace tlsgate
