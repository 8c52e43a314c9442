// The backends of one connect side (connect.address as a list): which order
// a connection tries them in (connect.balance), and which ones have lately
// refused or timed out (connect.fail_timeout), so the next connections try
// them last.
//
// One pool serves every worker thread, so its state is atomics: choosing an
// order takes no lock and allocates nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "config/config.h"

namespace tlsgate {

// The padding between the counter and the deadlines is the point (see
// below), so the padding check is off for this class.
class BackendPool {  // NOLINT(clang-analyzer-optin.performance.Padding)
 public:
  static constexpr std::size_t kMaxBackends = 64;  // the config loader rejects longer lists

  // The backends one connection tries, each once, best first. A small value
  // with no heap, so a connection keeps it while it works down the list.
  class Order {
   public:
    // The next backend to try; std::nullopt once each has been offered.
    std::optional<std::size_t> next();
    // How many backends the order holds in all.
    std::size_t size() const { return count_; }

   private:
    friend class BackendPool;
    static_assert(kMaxBackends <= 256, "indices are stored in one byte");

    std::array<uint8_t, kMaxBackends> indices_{};
    uint8_t count_ = 0;
    uint8_t position_ = 0;
  };

  // A `count` above kMaxBackends is cut to it. A fail_timeout of zero or less
  // never marks a backend down.
  BackendPool(std::size_t count, Balance balance, Duration fail_timeout);

  // round_robin starts one backend further at each call; failover always
  // starts from the first. Backends marked down less than fail_timeout ago
  // come after all the healthy ones, so a pool whose backends are all down
  // still tries each, and one that has come back is found.
  //
  // `now_ms` comes from one monotonic clock that every caller shares (each
  // worker's uv_now() does).
  Order order(uint64_t now_ms) const;

  // The backend refused or timed out: try it last until fail_timeout has
  // passed.
  void markFailed(std::size_t index, uint64_t now_ms) const;
  // The backend took a connection: it is up again at once.
  void markOk(std::size_t index) const;
  bool isDown(std::size_t index, uint64_t now_ms) const;

  std::size_t size() const { return count_; }

 private:
  std::size_t count_;
  Balance balance_;
  uint64_t fail_timeout_ms_;
  // Every connection bumps the counter, while the deadlines are mostly
  // read; separate cache lines keep the one from slowing the other.
  alignas(64) mutable std::atomic<uint64_t> next_start_{0};
  // Per backend, the time until which it counts as down; 0 while it is up.
  alignas(64) mutable std::array<std::atomic<uint64_t>, kMaxBackends> down_until_ms_{};
};

}  // namespace tlsgate
