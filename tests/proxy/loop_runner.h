// Runs a libuv loop from a test until a condition holds or a deadline
// passes, and the loopback and unix sockets the endpoint and phase tests
// talk through.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "proxy/socket_address.h"
#include "support/temp_dir.h"

namespace tlsgate::test {

// A loop of the test's own; whoever owns it closes it (uv_loop_close)
// once every handle on it has closed.
struct UvLoop {
  UvLoop() { uv_loop_init(&loop); }
  uv_loop_t loop{};
};

class LoopRunner {
 public:
  explicit LoopRunner(uv_loop_t* loop) : loop_(loop) {
    uv_timer_init(loop_, &deadline_);
    deadline_.data = this;
  }
  ~LoopRunner() { close(); }
  LoopRunner(const LoopRunner&) = delete;
  LoopRunner& operator=(const LoopRunner&) = delete;
  LoopRunner(LoopRunner&&) = delete;
  LoopRunner& operator=(LoopRunner&&) = delete;

  // Runs the loop until `done` holds; false when the deadline came first.
  // The deadline timer also keeps UV_RUN_ONCE from returning early on a
  // loop with nothing else to wait for.
  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    expired_ = false;
    uv_timer_start(
        &deadline_,
        [](uv_timer_t* timer) { static_cast<LoopRunner*>(timer->data)->expired_ = true; },
        static_cast<uint64_t>(limit.count()), 0);
    while (!done() && !expired_) {
      uv_run(loop_, UV_RUN_ONCE);
    }
    uv_timer_stop(&deadline_);
    return done();
  }

  // Closes the deadline timer, so the loop can end.
  void close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    bool gone = false;
    deadline_.data = &gone;
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_),
             [](uv_handle_t* handle) { *static_cast<bool*>(handle->data) = true; });
    while (!gone) {
      uv_run(loop_, UV_RUN_NOWAIT);
    }
  }

 private:
  uv_loop_t* loop_;
  uv_timer_t deadline_{};
  bool expired_ = false;
  bool closed_ = false;
};

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }

  int get() const { return fd_; }
  // Hands the descriptor over (to an Endpoint that adopts it).
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

inline uint16_t localPort(int fd) {
  sockaddr_in bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  return ntohs(bound.sin_port);
}

inline SocketAddress loopbackAddress(uint16_t port) {
  Address address;
  address.host = "127.0.0.1";
  address.port = port;
  return *numericAddress(address);
}

// A loopback port that refuses connections for as long as the descriptor
// is open: bound, so nobody else gets it, but not listening.
inline Fd refusingPort(uint16_t* port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    fd.reset();
    *port = 0;
    return fd;
  }
  *port = localPort(fd.get());
  return fd;
}

inline Fd listenOnUnixPath(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd.get(), 16) != 0) {
    fd.reset();
  }
  return fd;
}

// Writes all of `bytes` to a blocking socket.
inline bool writeAll(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the peer's FIN; false when 10 s pass without a byte first.
inline bool readToEnd(int fd, std::string& out) {
  char buffer[64 * 1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      return false;
    }
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) {
      return true;
    }
    if (n < 0) {
      return false;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace tlsgate::test
