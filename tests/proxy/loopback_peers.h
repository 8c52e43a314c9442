// Loopback sockets and an echo backend for the in-process Server tests.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace tlsgate::test {

// A listening loopback socket on a port the kernel picks.
inline int listenOnLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;  // the caller's next socket call fails with it
  }
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  *port = ntohs(address.sin_port);
  return fd;
}

inline uint16_t freePort() {
  uint16_t port = 0;
  ::close(listenOnLoopback(&port));
  return port;
}

inline int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until `wanted` bytes, EOF, or 10 s of silence.
inline std::string readSome(int fd, std::size_t wanted) {
  std::string out;
  char buffer[4096];
  while (out.size() < wanted) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      break;
    }
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

// Echoes every byte of each connection until the peer closes it.
class EchoBackend {
 public:
  EchoBackend() : listen_fd_(listenOnLoopback(&port_)) {
    thread_ = std::thread([this] {
      int fd = -1;
      while ((fd = ::accept(listen_fd_, nullptr, nullptr)) >= 0) {
        connections_.emplace_back([fd] {
          char buffer[4096];
          ssize_t n = 0;
          while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) {
            ::write(fd, buffer, static_cast<std::size_t>(n));
          }
          ::close(fd);
        });
      }
    });
  }
  ~EchoBackend() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    for (auto& connection : connections_) {
      connection.join();
    }
    ::close(listen_fd_);
  }
  EchoBackend(const EchoBackend&) = delete;
  EchoBackend& operator=(const EchoBackend&) = delete;
  EchoBackend(EchoBackend&&) = delete;
  EchoBackend& operator=(EchoBackend&&) = delete;

  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
  int listen_fd_;
  std::thread thread_;
  std::vector<std::thread> connections_;  // touched only by thread_ until it ends
};

}  // namespace tlsgate::test
