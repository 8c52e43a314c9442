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

void TrafficSecrets::noteKeylogLine(std::string_view line) {
  std::size_t label_end = line.find(' ');
  std::size_t random_end = line.find(' ', label_end + 1);
  if (label_end == std::string_view::npos || random_end == std::string_view::npos) {
    return;
  }
  std::string_view label = line.substr(0, label_end);
  std::string_view secret = line.substr(random_end + 1);
  if (label == "CLIENT_TRAFFIC_SECRET_0") {
    client_size_ = decodeHex(secret, client_);
  } else if (label == "SERVER_TRAFFIC_SECRET_0") {
    server_size_ = decodeHex(secret, server_);
  }
}

void TrafficSecrets::noteServerOutput(std::span<const std::byte> bytes) {
  if (server_size_ == 0) {
    return;  // still under the handshake keys
  }
  while (!bytes.empty()) {
    if (body_left_ > 0) {
      const std::size_t n = std::min(body_left_, bytes.size());
      body_left_ -= n;
      bytes = bytes.subspan(n);
      continue;
    }
    header_[header_size_++] = bytes.front();
    bytes = bytes.subspan(1);
    if (header_size_ == header_.size()) {
      body_left_ =
          std::to_integer<std::size_t>(header_[3]) << 8 | std::to_integer<std::size_t>(header_[4]);
      header_size_ = 0;
      ++records_sent_;
    }
  }
}

}  // namespace tlsgate
