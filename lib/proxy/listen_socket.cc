#include "proxy/listen_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/config_error.h"

namespace tlsgate {
namespace {

[[noreturn]] void failWith(int fd, const SocketAddress& address, const SourceMark& mark,
                           const char* step) {
  int err = errno;
  if (fd >= 0) {
    ::close(fd);
  }
  std::string hint;
  if (err == EADDRINUSE) {
    hint = " (another program listens there; pick another port or stop it)";
  } else if (err == EACCES) {
    hint =
        " (ports below 1024 need root or CAP_NET_BIND_SERVICE: grant the capability, with "
        "AmbientCapabilities=CAP_NET_BIND_SERVICE in the systemd unit or setcap "
        "cap_net_bind_service=+ep on the binary, or listen on a port above 1023)";
  } else if (err == EADDRNOTAVAIL) {
    hint = " (no local interface has this address)";
  }
  throw ConfigError(
      mark, "address",
      std::string("cannot ") + step + " " + address.str() + ": " + std::strerror(err) + hint);
}

}  // namespace

int openListenSocket(const SocketAddress& address, const SourceMark& mark, int backlog) {
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failWith(fd, address, mark, "create a socket for");
  }
  int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) {
    failWith(fd, address, mark, "set SO_REUSEPORT on");
  }
  if (address.family() == AF_INET6) {
    // [::]:port means IPv6 only; listen on 0.0.0.0 separately for IPv4.
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  }
  if (::bind(fd, address.get(), address.length) != 0) {
    failWith(fd, address, mark, "bind");
  }
  if (::listen(fd, backlog) != 0) {
    failWith(fd, address, mark, "listen on");
  }
  return fd;
}

}  // namespace tlsgate
