// The TLS 1.3 application traffic secrets of one handshake, and how many
// records OpenSSL has already protected with each.
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
  // secret is known: its session tickets, and any application data before
  // the hand-over, go out under that key, so the record layer must go on
  // from their sequence number.
  void noteServerOutput(std::span<const std::byte> bytes);
  // Counts the records OpenSSL reads after the handshake, all of them under
  // the client's application key (the session calls it only then).
  void noteClientInput(std::span<const std::byte> bytes);
  // A KeyUpdate went through OpenSSL: the secrets kept here are spent.
  void noteKeyUpdate() { key_updated_ = true; }

  // The records written under the server's application key and read under
  // the client's; valid only at a record boundary (atRecordBoundary()).
  std::uint64_t serverRecordsSent() const { return sent_.records; }
  std::uint64_t clientRecordsRead() const { return read_.records; }
  // Both directions' bytes end where a record ends: OpenSSL holds no part
  // of a record, so the record layer can take over at the next one.
  bool atRecordBoundary() const { return sent_.atBoundary() && read_.atBoundary(); }
  bool keyUpdated() const { return key_updated_; }

  bool complete() const { return client_size_ > 0 && server_size_ > 0; }
  std::span<const unsigned char> client() const { return {client_.data(), client_size_}; }
  std::span<const unsigned char> server() const { return {server_.data(), server_size_}; }

 private:
  std::array<unsigned char, EVP_MAX_MD_SIZE> client_{};
  std::array<unsigned char, EVP_MAX_MD_SIZE> server_{};
  std::size_t client_size_ = 0;
  std::size_t server_size_ = 0;
  // Splits a byte stream into TLS records and counts them.
  struct RecordCounter {
    std::uint64_t records = 0;
    std::array<std::byte, 5> header{};
    std::size_t header_size = 0;
    std::size_t body_left = 0;

    void add(std::span<const std::byte> bytes);
    bool atBoundary() const { return header_size == 0 && body_left == 0; }
  };
  RecordCounter sent_;
  RecordCounter read_;
  bool key_updated_ = false;
};

}  // namespace tlsgate
