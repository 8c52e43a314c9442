// Log messages that carry fields of their own.
//
// With log.format: json, a message made by structuredMessage() becomes the
// fields of its log line ({"time":…,"level":…,"msg":…,"conn":7,…}) instead
// of one escaped "msg" string. The mark is ASCII RS (0x1E), the byte that
// starts each JSON text in RFC 7464 JSON text sequences; no message of
// tlsgate's own begins with it. A text-format logger prints such a message
// as it is, so callers choose the format before building one.
#pragma once

#include <string>
#include <string_view>

namespace tlsgate {

inline constexpr char kStructuredMark = '\x1e';

// `fields` is a JSON object; dump() it with the mark in front.
template <typename Json>
std::string structuredMessage(const Json& fields) {
  std::string out(1, kStructuredMark);
  out += fields.dump(-1, ' ', false, Json::error_handler_t::replace);
  return out;
}

inline bool isStructured(std::string_view message) {
  return message.size() >= 2 && message.front() == kStructuredMark && message[1] == '{';
}

}  // namespace tlsgate
