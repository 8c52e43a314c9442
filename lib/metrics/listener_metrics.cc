#include "metrics/listener_metrics.h"

#include <algorithm>

namespace tlsgate {

const char* timeoutKindName(TimeoutKind kind) {
  static constexpr std::array<const char*, kTimeoutKindCount> kNames = {"handshake", "connect",
                                                                        "idle", "close", "drain"};
  return kNames.at(static_cast<std::size_t>(kind));
}

void DurationHistogram::observe(uint64_t microseconds) {
  const double seconds = static_cast<double>(microseconds) / 1e6;
  const auto* bound = std::lower_bound(kBounds.begin(), kBounds.end(), seconds);
  buckets.at(static_cast<std::size_t>(bound - kBounds.begin())).add();
  sum_microseconds.add(microseconds);
  count.add();
}

}  // namespace tlsgate
