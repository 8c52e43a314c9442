// Runs one connection phase on its own, over real sockets: a PhaseContext
// whose two endpoints sit on a worker's loop, and the peers the tests play
// at the far end of those sockets.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "proxy/endpoint.h"
#include "proxy/listener.h"
#include "proxy/loop_runner.h"
#include "proxy/loopback_peers.h"
#include "proxy/memory_port.h"
#include "proxy/phase.h"
#include "proxy/worker.h"
#include "support/client_hello.h"
#include "tls/session_pair.h"

namespace tlsgate::test {

inline WorkerAssignment noListeners() {
  WorkerAssignment assignment;
  assignment.global = std::make_shared<GlobalConfig>();
  return assignment;
}

// The bytes of a queue, left in it.
inline std::string peekAll(const ByteQueue& queue) {
  std::string out(queue.size(), '\0');
  queue.peek({reinterpret_cast<std::byte*>(out.data()), out.size()});
  return out;
}

// What a blocking socket holds now, without waiting for more: the test
// reads only what the loop has already written.
inline std::string readAvailable(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0) {
      return out;
    }
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
      return out;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// One phase over two real endpoints, driven the way a Connection drives
// its phases: advance() after every endpoint event, until the phase says
// anything but wait. The worker is never started; the test runs its loop.
class PhaseHarness final : public EndpointEvents, public PhaseContext {
 public:
  PhaseHarness() = default;
  ~PhaseHarness() { finish(); }
  PhaseHarness(const PhaseHarness&) = delete;
  PhaseHarness& operator=(const PhaseHarness&) = delete;
  PhaseHarness(PhaseHarness&&) = delete;
  PhaseHarness& operator=(PhaseHarness&&) = delete;

  // Makes `phase` current; a phase that went on may be followed by the
  // next one, as on a connection.
  void start(std::unique_ptr<Phase> phase) {
    outcome_.reset();
    phase_ = std::move(phase);
    phase_->start(*this);
    advance();
  }

  // Runs the loop until the phase is done; nullopt when the deadline came
  // first.
  std::optional<PhaseStatus> runPhase() {
    runner_.runUntil([&] { return outcome_.has_value(); });
    return outcome_;
  }

  // Runs the loop until `done` holds; false when the deadline came first.
  bool runUntil(const std::function<bool()>& done) { return runner_.runUntil(done); }

  // The phase's answer so far; nullopt while it waits.
  const std::optional<PhaseStatus>& outcome() const { return outcome_; }

  // Runs the loop until what the test's end of a socket has received
  // (gathered in `got`) holds `wanted`, or the phase has ended meanwhile;
  // false when `wanted` did not come.
  bool receive(int fd, std::string& got, std::string_view wanted) {
    // Once the phase is over, only the bytes themselves end the wait.
    const bool ended = outcome_.has_value();
    runner_.runUntil([&] {
      got += readAvailable(fd);
      return got.find(wanted) != std::string::npos || (!ended && outcome_.has_value());
    });
    return got.find(wanted) != std::string::npos;
  }

  // `endpoint` adopts the accepted end of a loopback TCP connection and
  // reads; the connecting end, blocking, is returned for the test to play
  // the peer (invalid on failure).
  Fd adoptLoopback(Endpoint& endpoint) {
    uint16_t port = 0;
    Fd listener(listenOnLoopback(&port));
    Fd peer(connectTo(port));
    if (peer.get() < 0 ||
        endpoint.adopt(loop(), ::accept(listener.get(), nullptr, nullptr), AF_INET) != 0) {
      return Fd();
    }
    endpoint.setReading(true);
    return peer;
  }

  // The same over a unix socket pair, for peers whose address nothing
  // looks at.
  Fd adoptSocketPair(Endpoint& endpoint) {
    int fds[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
      return Fd();
    }
    Fd peer(fds[1]);
    if (endpoint.adopt(loop(), fds[0], AF_UNIX) != 0) {
      return Fd();
    }
    endpoint.setReading(true);
    return peer;
  }

  // Lets go of the phase and both sockets; true when every socket opened
  // has closed exactly once.
  bool finish() {
    if (finished_) {
      return closed_ == opened_;
    }
    finished_ = true;
    phase_.reset();
    client_.close();
    backend_.close();
    runner_.runUntil([&] { return closed_ >= opened_; });
    runner_.close();
    return closed_ == opened_;
  }

  uv_loop_t* loop() { return worker_.loop(); }
  int socketsOpened() const { return opened_; }
  const std::vector<uint64_t>& timersArmed() const { return timers_armed_; }
  // The listener's config, routes and connect side, set by the test
  // before the phase starts.
  Listener& setUpListener() { return listener_; }
  BackendSet backends;

  // PhaseContext
  Endpoint& client() override { return client_; }
  Endpoint& backend() override { return backend_; }
  const Listener& listener() const override { return listener_; }
  Worker& worker() override { return worker_; }
  ListenerMetrics& metrics() override { return metrics_; }
  ConnectionFacts& facts() override { return facts_; }
  const std::string& label() const override { return label_; }
  void progress() override { advance(); }
  void armTimer(uint64_t milliseconds) override { timers_armed_.push_back(milliseconds); }

 private:
  // Guarded as Connection::run() is: a phase may call progress() from
  // inside advance().
  void advance() {
    if (!phase_ || outcome_) {
      return;
    }
    if (advancing_) {
      again_ = true;
      return;
    }
    advancing_ = true;
    do {
      again_ = false;
      settle(phase_->advance(*this));
    } while (again_ && !outcome_);
    advancing_ = false;
  }

  void settle(PhaseStatus status) {
    if (status.kind != PhaseStatus::Kind::wait) {
      outcome_ = std::move(status);
    }
  }

  // EndpointEvents
  void onEndpointInput(Endpoint& /*endpoint*/) override { advance(); }
  void onEndpointOutput(Endpoint& /*endpoint*/) override { advance(); }
  void onEndpointConnected(Endpoint& /*endpoint*/) override { advance(); }
  void onEndpointError(Endpoint& endpoint, Operation operation, int status) override {
    if (operation == Operation::connect && phase_ && !outcome_) {
      PhaseStatus outcome = phase_->onConnectFailed(*this, status);
      if (outcome.kind == PhaseStatus::Kind::wait || outcome.kind == PhaseStatus::Kind::go_on) {
        advance();
        return;
      }
      outcome_ = std::move(outcome);
      return;
    }
    outcome_ = PhaseStatus::fail(std::string(endpoint.name()) + " side I/O error " +
                                 std::to_string(status));
  }
  void onSocketOpened() override { ++opened_; }
  void onSocketClosed() override { ++closed_; }

  WorkerShared shared_;
  Worker worker_{0, shared_, noListeners()};
  LoopRunner runner_{worker_.loop()};
  Endpoint client_{*this, worker_.pool(), "accept"};
  Endpoint backend_{*this, worker_.pool(), "connect"};
  Listener listener_;
  ListenerMetrics metrics_;
  ConnectionFacts facts_;
  std::string label_ = "conn=test";
  std::unique_ptr<Phase> phase_;
  std::optional<PhaseStatus> outcome_;
  std::vector<uint64_t> timers_armed_;
  int opened_ = 0;
  int closed_ = 0;
  bool advancing_ = false;
  bool again_ = false;
  bool finished_ = false;
};

// A TLS client on a blocking socket, on a thread of its own: the program
// that connects to tlsgate's accept side.
class TlsClientThread {
 public:
  TlsClientThread(int fd, std::shared_ptr<TlsContext> context)
      : fd_(fd), session_(TlsSession::create(std::move(context), in_, out_, "test client")) {
    thread_ = std::thread([this] { run(); });
  }
  ~TlsClientThread() { join(); }
  TlsClientThread(const TlsClientThread&) = delete;
  TlsClientThread& operator=(const TlsClientThread&) = delete;
  TlsClientThread(TlsClientThread&&) = delete;
  TlsClientThread& operator=(TlsClientThread&&) = delete;

  void join() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // After join().
  bool handshakeDone() const { return session_->handshakeDone(); }
  std::string failureReason() const { return session_->failureReason(); }

 private:
  void run() {
    char buffer[16 * 1024];
    for (;;) {
      TlsResult result = session_->handshake();
      if (!writeAll(fd_, takeAll(out_)) || result.status != TlsStatus::want_input) {
        return;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) {
        return;
      }
      ssize_t n = ::read(fd_, buffer, sizeof(buffer));
      if (n <= 0) {
        return;
      }
      in_.append({reinterpret_cast<const std::byte*>(buffer), static_cast<std::size_t>(n)});
    }
  }

  int fd_;
  BufferPool pool_;
  ByteQueue in_{pool_};
  ByteQueue out_{pool_};
  std::unique_ptr<TlsSession> session_;
  std::thread thread_;
};

}  // namespace tlsgate::test
