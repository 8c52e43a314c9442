// The JSON documents /status and /connections serve. Times are seconds since
// the Unix epoch, as numbers.
#pragma once

#include <nlohmann/json.hpp>

#include "metrics/snapshots.h"

namespace tlsgate {

// {"connections": [{"id", "listener", "worker", "generation", "client",
//   "backend", "state", "age_seconds", "bytes_up", "bytes_down",
//   "accept": {…}, "connect": {…}}], "workers_unanswered": N}
// "accept" and "connect" appear only for a side that speaks TLS, as
// {"protocol", "cipher", "alpn", "sni", "resumed", "verification",
//  "peer": {"subject", "issuer", "notBefore", "notAfter", "sha256_hash"}},
// with "peer" only when the peer sent a certificate.
nlohmann::json connectionsJson(const ConnectionListing& listing);

// {"version", "started", "uptime_seconds", "workers", "ready", "draining",
//  "generation", "reload": {"last_ok", "last_time", "successes", "failures",
//  "last_error"}, "listeners": [{"name", "accept", "connect", "accept_tls",
//  "connect_tls", "connections_active", "connections_total"}]}
nlohmann::json statusJson(const StatusSnapshot& status);

}  // namespace tlsgate
