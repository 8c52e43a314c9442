#include "proxy/socket_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

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
  return "-";
}

std::string SocketAddress::str() const {
  return formatSockaddr(get());
}

SocketAddress resolveAddress(const Address& address, const std::string& key) {
  if (address.isUnix()) {
    throw ConfigError(address.mark, key, "unix sockets are not supported yet; use host:port");
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
