// Owns every worker's ListenerMetrics block and adds them up for readers.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/listener_metrics.h"
#include "metrics/snapshots.h"

namespace tlsgate {

class MetricsRegistry {
 public:
  explicit MetricsRegistry(std::size_t workers) : workers_(workers) {}

  // The block that `worker` writes for the listener called `name`, made on
  // first use and kept for the life of the registry. Thread-safe; called when
  // a config comes into force, not per connection.
  ListenerMetrics& listener(const std::string& name, std::size_t worker);

  // Any thread: one entry per listener name ever configured, in name order,
  // each the sum of its workers' blocks.
  std::vector<ListenerTotals> totals() const;

  std::size_t workers() const { return workers_; }

 private:
  std::size_t workers_;
  mutable std::mutex mutex_;  // guards the map's structure only, never a counter
  std::map<std::string, std::vector<std::unique_ptr<ListenerMetrics>>> blocks_;
};

}  // namespace tlsgate
