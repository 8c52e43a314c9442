#include "protocol/first_bytes.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace tlsgate {
namespace {

// Whether `bytes` begins with `prefix`, or, when fewer bytes than the
// prefix have arrived (but at least `min_seen`), whether they are its start.
bool startsLike(std::span<const std::uint8_t> bytes, std::string_view prefix,
                std::size_t min_seen) {
  const std::size_t n = std::min(bytes.size(), prefix.size());
  if (n < std::min(min_seen, prefix.size())) {
    return false;
  }
  return std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), prefix.begin(),
                    [](std::uint8_t b, char c) { return b == static_cast<std::uint8_t>(c); });
}

bool looksLikeHttp(std::span<const std::uint8_t> bytes) {
  // Three letters are enough to tell the methods apart from the other
  // protocols here; "PRI " opens the HTTP/2 connection preface.
  static constexpr std::array<std::string_view, 10> kMethods = {
      "GET ",   "POST ",  "HEAD ",  "PUT ",     "DELETE ",
      "PATCH ", "TRACE ", "PRI * ", "OPTIONS ", "CONNECT "};
  return std::any_of(kMethods.begin(), kMethods.end(),
                     [&](std::string_view method) { return startsLike(bytes, method, 3); });
}

bool isText(std::uint8_t byte) {
  return (byte >= 0x20 && byte < 0x7F) || byte == '\r' || byte == '\n' || byte == '\t';
}

}  // namespace

FirstBytes identifyFirstBytes(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) {
    return FirstBytes::unknown;
  }
  const std::uint8_t first = bytes[0];
  const bool tls_major = bytes.size() < 2 || bytes[1] == 0x03;
  if (first == 0x16 && tls_major) {
    return FirstBytes::tls_handshake;
  }
  if ((first == 0x14 || first == 0x15 || first == 0x17) && bytes.size() >= 2 && bytes[1] == 0x03) {
    return FirstBytes::tls_other;
  }
  // SSLv2 framing: a two-byte length with the top bit set, then message
  // type 1 (CLIENT-HELLO) and a version of 0.2 or 3.x.
  if ((first & 0x80) != 0 && bytes.size() >= 3 && bytes[2] == 0x01 &&
      (bytes.size() < 4 || bytes[3] == 0x00 || bytes[3] == 0x03)) {
    return FirstBytes::sslv2_hello;
  }
  if (startsLike(bytes, "PROXY ", 5)) {
    return FirstBytes::proxy_v1;
  }
  if (startsLike(bytes, std::string_view("\r\n\r\n\0\r\nQUIT\n", 12), 6)) {
    return FirstBytes::proxy_v2;
  }
  if (startsLike(bytes, "SSH-", 4)) {
    return FirstBytes::ssh;
  }
  if (looksLikeHttp(bytes)) {
    return FirstBytes::http;
  }
  return FirstBytes::unknown;
}

std::string showFirstBytes(std::span<const std::uint8_t> bytes, std::size_t max) {
  const std::span<const std::uint8_t> shown = bytes.first(std::min(bytes.size(), max));
  const bool truncated = shown.size() < bytes.size();
  std::string text;
  if (std::all_of(shown.begin(), shown.end(), isText)) {
    text += '"';
    for (std::uint8_t byte : shown) {
      switch (byte) {
        case '\r':
          text += "\\r";
          break;
        case '\n':
          text += "\\n";
          break;
        case '\t':
          text += "\\t";
          break;
        case '"':
        case '\\':
          text += '\\';
          text += static_cast<char>(byte);
          break;
        default:
          text += static_cast<char>(byte);
      }
    }
    text += truncated ? "...\"" : "\"";
    return text;
  }
  static constexpr std::string_view kHex = "0123456789abcdef";
  for (std::uint8_t byte : shown) {
    if (!text.empty()) {
      text += ' ';
    }
    text += kHex[byte >> 4];
    text += kHex[byte & 0x0F];
  }
  if (truncated) {
    text += " ...";
  }
  return text;
}

}  // namespace tlsgate
