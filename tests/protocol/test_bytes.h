// For the protocol tests: bytes in and out of a ByteQueue,
// and socket addresses from text.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/byte_queue.h"

namespace tlsgate::test {

inline void put(ByteQueue& queue, std::string_view bytes) {
  queue.append(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

inline void put(ByteQueue& queue, std::span<const std::uint8_t> bytes) {
  queue.append(std::as_bytes(bytes));
}

inline std::string contents(const ByteQueue& queue) {
  std::string bytes(queue.size(), '\0');
  queue.peek(std::as_writable_bytes(std::span(bytes)));
  return bytes;
}

inline std::string text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline sockaddr_storage ipv4(const char* address, std::uint16_t port) {
  sockaddr_storage storage{};
  auto& in4 = reinterpret_cast<sockaddr_in&>(storage);
  in4.sin_family = AF_INET;
  in4.sin_port = htons(port);
  inet_pton(AF_INET, address, &in4.sin_addr);
  return storage;
}

inline sockaddr_storage ipv6(const char* address, std::uint16_t port) {
  sockaddr_storage storage{};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  inet_pton(AF_INET6, address, &in6.sin6_addr);
  return storage;
}

inline sockaddr_storage unixPath(std::string_view path) {
  sockaddr_storage storage{};
  auto& un = reinterpret_cast<sockaddr_un&>(storage);
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), std::min(path.size(), sizeof(un.sun_path)));
  return storage;
}

}  // namespace tlsgate::test
