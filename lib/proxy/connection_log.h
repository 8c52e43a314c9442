// The one line logged when a connection ends: the tls::status /
// tls::connection fields of each TLS side, in logfmt (key=value) form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tlsgate {

class TlsSession;

struct TlsSummary {
  std::string protocol;
  std::string cipher;
  std::string alpn;
  std::string sni;
  bool resumed = false;
  std::string peer;          // peer certificate subject
  std::string peer_sha256;   // peer certificate SHA-256, as `tlsgate cert-info` prints it
  bool close_notify = true;  // false: the peer ended without close_notify

  static TlsSummary of(const TlsSession& session);
};

struct ConnectionRecord {
  uint64_t id = 0;
  std::string listener;
  std::string client;
  std::string backend;
  double duration_s = 0;
  uint64_t bytes_up = 0;    // client -> backend
  uint64_t bytes_down = 0;  // backend -> client
  std::optional<TlsSummary> accept_tls;
  std::optional<TlsSummary> connect_tls;
  bool failed = false;
  std::string phase;   // on failure: handshake | connect | backend_handshake | proxy
  std::string reason;  // on failure: words a person can act on
};

std::string formatConnectionLine(const ConnectionRecord& record);

}  // namespace tlsgate
