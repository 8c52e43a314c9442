// The command-line side of the admin endpoint: `tlsgate status` and
// `tlsgate health` ask a running tlsgate over HTTP.
#pragma once

#include <ostream>
#include <string>

namespace tlsgate {

struct AdminTarget {
  std::string address;  // "host:port", "[v6]:port" or "unix:/path"
  std::string token;    // sent as "Authorization: Bearer <token>" when not empty
};

// GET /connections, and /status for the summary line, then prints the
// connection listing as the pretty JSON received (`json`) or as the table
// of connection_table.h. Returns 0, or 1 with a one-line reason on `err`.
int runStatusCommand(const AdminTarget& target, bool json, std::ostream& out, std::ostream& err);

// GET /healthz with a 2 s timeout. Returns 0 when tlsgate answers 200, or 1
// with a one-line reason on `err` ("draining", "not ready", cannot connect).
int runHealthCommand(const AdminTarget& target, std::ostream& err);

}  // namespace tlsgate
