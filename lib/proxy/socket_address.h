// Resolved socket addresses and their printable forms.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <string>

#include "config/config.h"

namespace tlsgate {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  // "127.0.0.1:8443" or "[::1]:8443".
  std::string str() const;
};

// Resolves host:port once (at startup). Throws ConfigError at the address's
// position when the name does not resolve or the address is a unix path,
// which this version does not serve.
SocketAddress resolveAddress(const Address& address, const std::string& key);

// The remote address of a connected TCP handle, "-" when unknown.
std::string peerAddress(const uv_tcp_t* tcp);

std::string formatSockaddr(const sockaddr* address);

}  // namespace tlsgate
