#include "proxy/listen_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include "util/config_error.h"
#include "util/errno_text.h"

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
      std::string("cannot ") + step + " " + address.str() + ": " + errnoText(err) + hint);
}

// A user or group given by name or by number.
bool lookUpId(const std::string& text, bool group, unsigned int& id) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    id = static_cast<unsigned int>(std::stoul(text));
    return true;
  }
  if (group) {
    const struct group* found = ::getgrnam(text.c_str());
    if (found == nullptr) {
      return false;
    }
    id = found->gr_gid;
    return true;
  }
  const struct passwd* found = ::getpwnam(text.c_str());
  if (found == nullptr) {
    return false;
  }
  id = found->pw_uid;
  return true;
}

// Whether some process accepts connections on the unix socket at `address`.
bool someoneListens(const SocketAddress& address) {
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    return false;
  }
  const bool answered = ::connect(probe, address.get(), address.length) == 0;
  ::close(probe);
  return answered;
}

void removeStaleSocket(const SocketAddress& address, const SourceMark& mark) {
  const std::string path = address.unixPath();
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    return;  // nothing there
  }
  if (!S_ISSOCK(info.st_mode)) {
    throw ConfigError(mark, "address",
                      path + " exists and is not a socket; tlsgate will not replace it");
  }
  if (someoneListens(address)) {
    throw ConfigError(mark, "address",
                      "another process accepts connections on " + address.str() +
                          "; stop it or choose another path");
  }
  ::unlink(path.c_str());  // left behind by a process that is gone
}

}  // namespace

int openUnixListenSocket(const SocketAddress& address, const UnixSocketOptions& options,
                         const SourceMark& mark, int backlog) {
  removeStaleSocket(address, mark);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failWith(fd, address, mark, "create a socket for");
  }
  if (::bind(fd, address.get(), address.length) != 0) {
    failWith(fd, address, mark, "bind");
  }
  const std::string path = address.unixPath();
  if (options.mode && ::chmod(path.c_str(), *options.mode) != 0) {
    failWith(fd, address, mark, "set the mode of");
  }
  if (!options.owner.empty() || !options.group.empty()) {
    unsigned int uid = static_cast<unsigned int>(-1);
    unsigned int gid = static_cast<unsigned int>(-1);
    if (!options.owner.empty() && !lookUpId(options.owner, false, uid)) {
      ::close(fd);
      throw ConfigError(mark, "unix_socket.owner", "no such user: " + options.owner);
    }
    if (!options.group.empty() && !lookUpId(options.group, true, gid)) {
      ::close(fd);
      throw ConfigError(mark, "unix_socket.group", "no such group: " + options.group);
    }
    if (::chown(path.c_str(), uid, gid) != 0) {
      failWith(fd, address, mark, "change the owner of");
    }
  }
  if (::listen(fd, backlog) != 0) {
    failWith(fd, address, mark, "listen on");
  }
  return fd;
}

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
