// The secret tap: every secret OpenSSL derives for a connection, as it
// derives it.
//
// OpenSSL 3.0 has no call that returns a session's secrets; it hands each
// one to the key log callback as an NSS key log line, "LABEL <client random>
// <secret>" in hex. tlsgate's callback (openssl_callbacks.h) parses the line
// once and passes the secret to each SecretTap that listens:
//  - KeylogFile writes it out for Wireshark, only when the tls block sets
//    keylog or the environment SSLKEYLOGFILE;
//  - TrafficSecrets keeps the TLS 1.3 application secrets that a server
//    session hands to its RecordLayer.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace tlsgate {

// One derived secret. The views point into the key log line.
struct DerivedSecret {
  std::string_view label;          // e.g. "SERVER_TRAFFIC_SECRET_0"
  std::string_view client_random;  // hex
  std::string_view secret;         // hex
};

// The three fields of a key log line; nothing when it has fewer.
std::optional<DerivedSecret> parseKeylogLine(std::string_view line);

class SecretTap {
 public:
  SecretTap() = default;
  virtual ~SecretTap() = default;
  SecretTap(const SecretTap&) = delete;
  SecretTap& operator=(const SecretTap&) = delete;
  SecretTap(SecretTap&&) = delete;
  SecretTap& operator=(SecretTap&&) = delete;

  virtual void onSecret(const DerivedSecret& secret) = 0;
};

// Passes the secret of one key log line to each tap that is not null; a line
// that does not parse reaches none.
void tapSecret(std::string_view line, std::span<SecretTap* const> taps);

}  // namespace tlsgate
