#include "proxy/socket_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "util/config_error.h"

namespace tlsgate {

std::string formatSockaddr(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(in4->sin_port));
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    std::string text = "[";
    text += host;
    text += "]:";
    text += std::to_string(ntohs(in6->sin6_port));
    return text;
  }
  if (address->sa_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(address);
    return std::string("unix:") + un->sun_path;
  }
  return "-";
}

std::string SocketAddress::str() const {
  return formatSockaddr(get());
}

std::string SocketAddress::unixPath() const {
  if (family() != AF_UNIX) {
    return {};
  }
  return reinterpret_cast<const sockaddr_un*>(&storage)->sun_path;
}

SocketAddress SocketAddress::unixSocket(const std::string& path) {
  SocketAddress out;
  auto* un = reinterpret_cast<sockaddr_un*>(&out.storage);
  un->sun_family = AF_UNIX;
  // The config loader has checked that the path fits.
  std::memcpy(un->sun_path, path.data(), std::min(path.size(), sizeof(un->sun_path) - 1));
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return out;
}

std::optional<SocketAddress> numericAddress(const Address& address) {
  if (address.isUnix()) {
    return SocketAddress::unixSocket(address.unix_path);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
  if (address.host.empty()) {
    hints.ai_flags |= AI_PASSIVE;
  }
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(), &hints,
                  &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  SocketAddress out;
  std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
  out.length = found->ai_addrlen;
  freeaddrinfo(found);
  return out;
}

SocketAddress resolveAddress(const Address& address, const std::string& key) {
  if (address.isUnix()) {
    return SocketAddress::unixSocket(address.unix_path);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  int rc = getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(), &hints,
                       &found);
  if (rc != 0 || found == nullptr) {
    // AI_ADDRCONFIG hides loopback-only families on hosts without a network;
    // try once more without it before giving up.
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  }
  if (rc != 0 || found == nullptr) {
    throw ConfigError(address.mark, key,
                      "cannot resolve " + address.host + ": " + gai_strerror(rc));
  }
  SocketAddress out;
  std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
  out.length = found->ai_addrlen;
  freeaddrinfo(found);
  return out;
}

std::string peerAddress(const uv_tcp_t* tcp) {
  sockaddr_storage storage{};
  int length = sizeof(storage);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return "-";
  }
  return formatSockaddr(reinterpret_cast<const sockaddr*>(&storage));
}

}  // namespace tlsgate
