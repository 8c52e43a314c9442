// Resolved socket addresses and their printable forms.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <optional>
#include <string>

#include "config/config.h"

namespace tlsgate {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  // "127.0.0.1:8443", "[::1]:8443" or "unix:/run/app.sock".
  std::string str() const;
  // The path of an AF_UNIX address; empty for the others.
  std::string unixPath() const;

  static SocketAddress unixSocket(const std::string& path);
};

// Resolves host:port, or makes the address of a unix: path. Throws
// ConfigError at the address's position when the name does not resolve.
SocketAddress resolveAddress(const Address& address, const std::string& key);

// The address of a numeric host (or a unix path) without any lookup;
// nullopt for a name, which is resolved when a connection needs it.
std::optional<SocketAddress> numericAddress(const Address& address);

// The remote address of a connected TCP handle, "-" when unknown.
std::string peerAddress(const uv_tcp_t* tcp);

std::string formatSockaddr(const sockaddr* address);

}  // namespace tlsgate
