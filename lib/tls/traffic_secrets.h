// The TLS 1.3 application traffic secrets of one handshake, and how many
// records OpenSSL has already protected with the server's.
//
// OpenSSL 3.0 has no call that returns them. TrafficSecrets listens on the
// secret tap (secret_tap.h) instead, as nginx's OpenSSL compatibility layer
// for QUIC listens on the key log callback, and keeps the two application
// secrets, so that RecordLayer can carry the connection on after the SSL
// object is gone.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "tls/secret_tap.h"

namespace tlsgate {

class TrafficSecrets final : public SecretTap {
 public:
  TrafficSecrets() = default;
  ~TrafficSecrets() override;
  TrafficSecrets(const TrafficSecrets&) = delete;
  TrafficSecrets& operator=(const TrafficSecrets&) = delete;
  TrafficSecrets(TrafficSecrets&&) = delete;
  TrafficSecrets& operator=(TrafficSecrets&&) = delete;

  // Keeps CLIENT_TRAFFIC_SECRET_0 and SERVER_TRAFFIC_SECRET_0; ignores every
  // other secret.
  void onSecret(const DerivedSecret& secret) override;
  // The same, from a whole key log line ("LABEL <client random> <secret>").
  void noteKeylogLine(std::string_view line);

  // Counts the records in what the server writes once its application
  // secret is known: its session tickets go out under that key, so the
  // record layer must go on from their sequence number.
  void noteServerOutput(std::span<const std::byte> bytes);
  // The records written under the server's application key; valid only when
  // the output ended at a record boundary (atRecordBoundary()).
  std::uint64_t serverRecordsSent() const { return records_sent_; }
  bool atRecordBoundary() const { return header_size_ == 0 && body_left_ == 0; }

  bool complete() const { return client_size_ > 0 && server_size_ > 0; }
  std::span<const unsigned char> client() const { return {client_.data(), client_size_}; }
  std::span<const unsigned char> server() const { return {server_.data(), server_size_}; }

 private:
  std::array<unsigned char, EVP_MAX_MD_SIZE> client_{};
  std::array<unsigned char, EVP_MAX_MD_SIZE> server_{};
  std::size_t client_size_ = 0;
  std::size_t server_size_ = 0;
  std::uint64_t records_sent_ = 0;
  std::array<std::byte, 5> header_{};
  std::size_t header_size_ = 0;
  std::size_t body_left_ = 0;
};

}  // namespace tlsgate
