// Lets one log line through per interval and counts the ones it held back,
// so that a burst (a flood of refused connections) costs one line a second
// instead of one line per event.
#pragma once

#include <cstdint>
#include <optional>

namespace tlsgate {

class LogRateLimiter {
 public:
  explicit LogRateLimiter(uint64_t interval_ms) : interval_ms_(interval_ms) {}

  // nullopt: hold this line back. Otherwise log it, with the number of lines
  // held back since the last one that went out.
  std::optional<uint64_t> admit(uint64_t now_ms) {
    if (logged_once_ && now_ms - last_ms_ < interval_ms_) {
      ++held_back_;
      return std::nullopt;
    }
    logged_once_ = true;
    last_ms_ = now_ms;
    const uint64_t held = held_back_;
    held_back_ = 0;
    return held;
  }

 private:
  uint64_t interval_ms_;
  uint64_t last_ms_ = 0;
  uint64_t held_back_ = 0;
  bool logged_once_ = false;
};

}  // namespace tlsgate
