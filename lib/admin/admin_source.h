// What the admin endpoint asks the running server. The server implements it;
// every call is made from the admin thread and must be thread-safe.
#pragma once

#include <chrono>

#include "metrics/snapshots.h"

namespace tlsgate {

class AdminSource {
 public:
  virtual ~AdminSource() = default;

  virtual StatusSnapshot status() = 0;
  virtual MetricsSnapshot metrics() = 0;
  // Asks every worker for its live connections on its own loop and waits up
  // to `bound` for the answers.
  virtual ConnectionListing connections(std::chrono::milliseconds bound) = 0;

 protected:
  // Copied or moved only as part of the class that implements it.
  AdminSource() = default;
  AdminSource(const AdminSource&) = default;
  AdminSource& operator=(const AdminSource&) = default;
  AdminSource(AdminSource&&) = default;
  AdminSource& operator=(AdminSource&&) = default;
};

}  // namespace tlsgate
