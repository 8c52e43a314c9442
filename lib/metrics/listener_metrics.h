// The counters of one listener on one worker.
//
// Each worker has its own block per listener name and is the only thread
// that writes it; the admin endpoint adds the workers' blocks up when it is
// read. Blocks live as long as the process (MetricsRegistry owns them), so a
// counter keeps counting across reloads for a listener whose name stays.
#pragma once

#include <array>
#include <cstddef>

#include "metrics/counter.h"
#include "metrics/failure_kind.h"

namespace tlsgate {

enum class TimeoutKind { handshake, connect, idle, close, drain };
inline constexpr std::size_t kTimeoutKindCount = 5;
// "handshake", "connect", "idle", "close", "drain"
const char* timeoutKindName(TimeoutKind kind);

// Handshake durations. Bucket bounds in seconds; the last bucket is +Inf.
struct DurationHistogram {
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  std::array<Counter, kBounds.size() + 1> buckets;  // not cumulative; [i] counts <= kBounds[i]
  Counter sum_microseconds;
  Counter count;

  void observe(uint64_t microseconds);
};

// One TLS side (accept or connect) of a listener.
struct TlsSideMetrics {
  Counter handshakes;   // completed
  Counter resumptions;  // of those, resumed sessions
  std::array<Counter, kFailureKindCount> failures;
  DurationHistogram duration;

  void fail(FailureKind kind) { failures.at(static_cast<std::size_t>(kind)).add(); }
};

struct ListenerMetrics {
  Counter connections_total;  // accepted
  Gauge connections_active;
  TlsSideMetrics accept;
  TlsSideMetrics connect;
  Counter bytes_up;    // client -> backend, plaintext
  Counter bytes_down;  // backend -> client, plaintext
  Counter backend_connect_failures;
  std::array<Counter, kTimeoutKindCount> timeouts;
  // Connections tlsgate closed without serving: over max_connections, out of
  // descriptors or memory for the backend socket.
  Counter dropped;
  // accept() errors on this listener (EMFILE, ENFILE, ENOBUFS …).
  Counter accept_errors;

  void timedOut(TimeoutKind kind) { timeouts.at(static_cast<std::size_t>(kind)).add(); }
};

}  // namespace tlsgate
