// The one line logged when a connection ends: the tls::status /
// tls::connection fields of each TLS side, in logfmt (key=value) form.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "config/config.h"

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
  uint64_t generation = 0;  // of the config the connection started on
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
  std::string note;    // an ordinary end worth a word, e.g. "closed while draining: idle"
};

// logfmt: conn=7 listener=web generation=1 client=… outcome=ok
std::string formatConnectionLine(const ConnectionRecord& record);
// The same fields as JSON keys of their own; each TLS side is an object.
nlohmann::json connectionJson(const ConnectionRecord& record);

// Which of the two the connection log writes; setupLogging() sets it from
// log.format. Process-wide.
void setConnectionLogFormat(LogFormat format);
// Logs the line at info, or at warn when the connection failed.
void logConnection(const ConnectionRecord& record);

}  // namespace tlsgate
