#include "tls/traffic_secrets.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <optional>

namespace tlsgate {
namespace {

std::optional<unsigned char> hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return static_cast<unsigned char>(c - '0');
  }
  if (c >= 'a' && c <= 'f') {
    return static_cast<unsigned char>(c - 'a' + 10);
  }
  if (c >= 'A' && c <= 'F') {
    return static_cast<unsigned char>(c - 'A' + 10);
  }
  return std::nullopt;
}

// Decodes `hex` into `out`; 0 when it is not whole bytes of hex or too long.
std::size_t decodeHex(std::string_view hex, std::span<unsigned char> out) {
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() / 2 > out.size()) {
    return 0;
  }
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    std::optional<unsigned char> high = hexValue(hex[2 * i]);
    std::optional<unsigned char> low = hexValue(hex[2 * i + 1]);
    if (!high || !low) {
      return 0;
    }
    out[i] = static_cast<unsigned char>(*high << 4 | *low);
  }
  return hex.size() / 2;
}

}  // namespace

TrafficSecrets::~TrafficSecrets() {
  OPENSSL_cleanse(client_.data(), client_.size());
  OPENSSL_cleanse(server_.data(), server_.size());
}

void TrafficSecrets::onSecret(const DerivedSecret& secret) {
  if (secret.label == "CLIENT_TRAFFIC_SECRET_0") {
    client_size_ = decodeHex(secret.secret, client_);
  } else if (secret.label == "SERVER_TRAFFIC_SECRET_0") {
    server_size_ = decodeHex(secret.secret, server_);
  }
}

void TrafficSecrets::noteKeylogLine(std::string_view line) {
  if (std::optional<DerivedSecret> secret = parseKeylogLine(line)) {
    onSecret(*secret);
  }
}

void TrafficSecrets::noteServerOutput(std::span<const std::byte> bytes) {
  if (server_size_ == 0) {
    return;  // still under the handshake keys
  }
  sent_.add(bytes);
}

void TrafficSecrets::noteClientInput(std::span<const std::byte> bytes) {
  read_.add(bytes);
}

// RFC 8446 section 5.1: a record is a 5-byte header, whose last two bytes
// are the length of the body that follows.
void TrafficSecrets::RecordCounter::add(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    if (body_left > 0) {
      const std::size_t n = std::min(body_left, bytes.size());
      body_left -= n;
      bytes = bytes.subspan(n);
      continue;
    }
    header.at(header_size++) = bytes.front();
    bytes = bytes.subspan(1);
    if (header_size == header.size()) {
      body_left =
          std::to_integer<std::size_t>(header[3]) << 8 | std::to_integer<std::size_t>(header[4]);
      header_size = 0;
      ++records;
    }
  }
}

}  // namespace tlsgate
