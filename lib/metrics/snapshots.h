// Plain values that the running server hands to the admin endpoint: what
// /metrics, /status and /connections render. No behaviour, no pointers into
// the server, so they can cross threads freely.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics/failure_kind.h"
#include "metrics/listener_metrics.h"

namespace tlsgate {

struct TlsSideTotals {
  uint64_t handshakes = 0;
  uint64_t resumptions = 0;
  std::array<uint64_t, kFailureKindCount> failures{};
  std::array<uint64_t, DurationHistogram::kBounds.size() + 1> duration_buckets{};  // not cumulative
  uint64_t duration_sum_microseconds = 0;
  uint64_t duration_count = 0;
};

// One listener name, summed over the workers.
struct ListenerTotals {
  std::string name;
  uint64_t connections_total = 0;
  int64_t connections_active = 0;
  TlsSideTotals accept;
  TlsSideTotals connect;
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  uint64_t backend_connect_failures = 0;
  std::array<uint64_t, kTimeoutKindCount> timeouts{};
  uint64_t dropped = 0;
  uint64_t accept_errors = 0;
};

// Accept-side TLS handshakes in progress (a whole ClientHello has arrived,
// the handshake has not ended), summed over the workers, and the most there
// can be: limits.max_handshakes on every worker.
struct HandshakesInProgress {
  uint64_t count = 0;
  uint64_t limit = 0;
};

// A certificate an accept side serves, for tlsgate_certificate_expiry_seconds.
struct CertificateExpiry {
  std::string listener;
  std::string subject;
  std::string sha256;
  int64_t not_after_unix = 0;  // seconds since the epoch
};

// How often an accept side's TLS 1.3 connections stayed with OpenSSL
// instead of moving to tlsgate's record layer, for one reason, since its
// TLS context was built (the last start or reload).
// TLS 1.3 accept-side connections of one listener that moved to tlsgate's
// record layer, since its TLS context was built.
struct RecordLayerHandOvers {
  std::string listener;
  uint64_t count = 0;
};

struct RecordLayerDeclines {
  std::string listener;
  std::string reason;  // e.g. "max_fragment_length"
  uint64_t count = 0;
};

struct ReloadStatus {
  uint64_t generation = 1;     // the config in force; the first one is 1
  bool last_ok = true;         // the last reload (or the start) succeeded
  int64_t last_time_unix = 0;  // when the config in force, or the last attempt, was loaded
  uint64_t successes = 0;      // reloads, not counting the start
  uint64_t failures = 0;
  std::string last_error;  // empty after a success
};

struct ListenerStatus {
  std::string name;
  std::string accept_address;  // as configured, e.g. "127.0.0.1:8443" or "unix:/run/x.sock"
  std::string connect_address;
  bool accept_tls = false;
  bool connect_tls = false;
  int64_t connections_active = 0;
  uint64_t connections_total = 0;
};

struct StatusSnapshot {
  std::string version;  // tlsgate's
  int64_t started_unix = 0;
  double uptime_seconds = 0;
  std::size_t workers = 0;
  bool ready = false;     // every listener is bound and serving
  bool draining = false;  // SIGTERM/SIGINT: no longer accepting
  ReloadStatus reload;
  std::vector<ListenerStatus> listeners;  // the config in force
};

struct MetricsSnapshot {
  StatusSnapshot status;
  HandshakesInProgress handshakes_in_progress;
  std::vector<ListenerTotals> listeners;
  std::vector<CertificateExpiry> certificates;
  std::vector<RecordLayerHandOvers> record_layer_handovers;
  std::vector<RecordLayerDeclines> record_layer_declined;
  int64_t now_unix = 0;
};

// The peer certificate of a TLS side (tls::status names in comments).
struct PeerCertificateSnapshot {
  std::string subject;     // subject
  std::string issuer;      // issuer
  std::string not_before;  // notBefore
  std::string not_after;   // notAfter
  std::string sha256;      // sha256_hash
};

// One TLS side of a live connection: tls::status / tls::connection fields.
struct TlsSideSnapshot {
  std::string protocol;  // "TLSv1.3"; empty while negotiating
  std::string cipher;
  std::string alpn;
  std::string sni;
  bool resumed = false;
  std::optional<PeerCertificateSnapshot> peer;
  // "ok" (verified), "none" (no peer certificate asked for or sent), or the
  // reason verification failed.
  std::string verification;
};

struct ConnectionSnapshot {
  uint64_t id = 0;
  std::string listener;
  std::size_t worker = 0;
  uint64_t generation = 0;  // the config it started on
  std::string client;       // "127.0.0.1:53422"
  std::string backend;      // empty until the backend connect starts
  std::string state;        // NEGOTIATING, OPEN or CLOSING (TWAPI tls_state)
  double age_seconds = 0;
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  std::optional<TlsSideSnapshot> accept_tls;
  std::optional<TlsSideSnapshot> connect_tls;
};

struct ConnectionListing {
  std::vector<ConnectionSnapshot> connections;  // in id order
  std::size_t workers_unanswered = 0;           // workers that did not answer within the bound
};

}  // namespace tlsgate
