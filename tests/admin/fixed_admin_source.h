// An AdminSource that answers with snapshots a test sets, and the populated
// snapshots the admin tests share.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <utility>

#include "admin/admin_source.h"
#include "metrics/snapshots.h"

namespace tlsgate {

class FixedAdminSource : public AdminSource {
 public:
  StatusSnapshot status() override {
    std::lock_guard lock(mutex_);
    return status_;
  }
  MetricsSnapshot metrics() override {
    std::lock_guard lock(mutex_);
    MetricsSnapshot metrics = metrics_;
    metrics.status = status_;
    return metrics;
  }
  ConnectionListing connections(std::chrono::milliseconds bound) override {
    std::lock_guard lock(mutex_);
    last_bound_ = bound;
    return connections_;
  }

  void setStatus(StatusSnapshot status) {
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
  }
  void setMetrics(MetricsSnapshot metrics) {
    std::lock_guard lock(mutex_);
    metrics_ = std::move(metrics);
  }
  void setConnections(ConnectionListing connections) {
    std::lock_guard lock(mutex_);
    connections_ = std::move(connections);
  }
  std::chrono::milliseconds lastBound() {
    std::lock_guard lock(mutex_);
    return last_bound_;
  }

 private:
  std::mutex mutex_;
  StatusSnapshot status_;
  MetricsSnapshot metrics_;
  ConnectionListing connections_;
  std::chrono::milliseconds last_bound_{0};
};

// tlsgate 0.1.0 on generation 3 after a failed reload, with a terminating
// listener "web" and an originating listener "origin".
inline StatusSnapshot sampleStatus() {
  StatusSnapshot status;
  status.version = "0.1.0";
  status.started_unix = 1700000000;
  status.uptime_seconds = 3723.5;
  status.workers = 2;
  status.ready = true;
  status.reload.generation = 3;
  status.reload.last_ok = false;
  status.reload.last_time_unix = 1700003000;
  status.reload.successes = 2;
  status.reload.failures = 1;
  status.reload.last_error = "tlsgate.yaml:4:5: global.timeouts.handshak: unknown key";
  status.listeners.push_back({"web", "127.0.0.1:8443", "127.0.0.1:8080", true, false, 2, 10});
  status.listeners.push_back(
      {"origin", "127.0.0.1:9000", "backend.example:443", false, true, 0, 0});
  return status;
}

inline MetricsSnapshot sampleMetrics() {
  MetricsSnapshot metrics;
  metrics.status = sampleStatus();
  metrics.now_unix = 1700000000;
  metrics.handshakes_in_progress = {5, 2048};  // two workers of max_handshakes 1024

  ListenerTotals& web = metrics.listeners.emplace_back();
  web.name = "web";
  web.connections_total = 10;
  web.connections_active = 2;
  web.accept.handshakes = 8;
  web.accept.resumptions = 3;
  web.accept.failures.at(static_cast<std::size_t>(FailureKind::alpn)) = 1;
  web.accept.failures.at(static_cast<std::size_t>(FailureKind::timeout)) = 1;
  web.accept.duration_buckets.at(0) = 2;   // <= 1 ms
  web.accept.duration_buckets.at(3) = 5;   // <= 10 ms
  web.accept.duration_buckets.back() = 1;  // > 5 s
  web.accept.duration_sum_microseconds = 6234567;
  web.accept.duration_count = 8;
  web.bytes_up = 1000;
  web.bytes_down = 250000;
  web.backend_connect_failures = 1;
  web.timeouts.at(static_cast<std::size_t>(TimeoutKind::idle)) = 4;
  web.dropped = 2;
  web.accept_errors = 1;

  ListenerTotals& origin = metrics.listeners.emplace_back();
  origin.name = "origin";

  // Gone from the config in force, but its counts stay.
  ListenerTotals& old = metrics.listeners.emplace_back();
  old.name = "old";
  old.connections_total = 5;
  old.accept.handshakes = 5;
  old.accept.duration_buckets.at(1) = 5;
  old.accept.duration_sum_microseconds = 10000;
  old.accept.duration_count = 5;

  metrics.certificates.push_back({"web", "CN=web.example", "ab12", 1700086400});
  metrics.certificates.push_back({"web", "CN=old.example", "cd34", 1699999000});
  return metrics;
}

inline ConnectionListing sampleConnections() {
  ConnectionListing listing;
  ConnectionSnapshot& open = listing.connections.emplace_back();
  open.id = 17;
  open.listener = "web";
  open.worker = 1;
  open.generation = 2;
  open.client = "127.0.0.1:53422";
  open.backend = "127.0.0.1:8080";
  open.state = "OPEN";
  open.age_seconds = 192.4;
  open.bytes_up = 1234;
  open.bytes_down = 1234567;
  TlsSideSnapshot& accept = open.accept_tls.emplace();
  accept.protocol = "TLSv1.3";
  accept.cipher = "TLS_AES_256_GCM_SHA384";
  accept.alpn = "h2";
  accept.sni = "web.example";
  accept.resumed = true;
  accept.verification = "ok";
  accept.peer =
      PeerCertificateSnapshot{"CN=client.example", "CN=Test CA", "Jan  1 00:00:00 2024 GMT",
                              "Jan  1 00:00:00 2034 GMT", "0a1b2c"};

  ConnectionSnapshot& negotiating = listing.connections.emplace_back();
  negotiating.id = 18;
  negotiating.listener = "origin";
  negotiating.generation = 3;
  negotiating.client = "127.0.0.1:53500";
  negotiating.state = "NEGOTIATING";
  negotiating.age_seconds = 0.2;
  negotiating.connect_tls.emplace().verification = "none";
  return listing;
}

}  // namespace tlsgate
