// Counters and gauges that one thread writes and any thread reads.
//
// A worker owns its counters and is the only thread that changes them, so an
// increment is a relaxed load and store: no lock and no read-modify-write on
// the data path. Readers (the admin endpoint) see a value that is at most a
// few events old, and never a torn one.
#pragma once

#include <atomic>
#include <cstdint>

namespace tlsgate {

class Counter {
 public:
  // Only the owning thread calls add().
  void add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  // Only the owning thread calls add() and sub().
  void add(int64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(int64_t n = 1) { add(-n); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

}  // namespace tlsgate
