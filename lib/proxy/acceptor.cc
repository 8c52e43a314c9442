#include "proxy/acceptor.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tlsgate {
namespace {

// Accepts per wake-up before the loop serves other events again.
constexpr int kAcceptBatch = 64;

bool outOfResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

std::string errorText(int error) {
  return std::generic_category().message(error);
}

}  // namespace

Acceptor* Acceptor::create(uv_loop_t* loop, int fd, std::shared_ptr<const Listener> listener,
                           ListenerMetrics* metrics, AcceptHandler handler) {
  return new Acceptor(loop, fd, std::move(listener), metrics, std::move(handler));
}

Acceptor::Acceptor(uv_loop_t* loop, int fd, std::shared_ptr<const Listener> listener,
                   ListenerMetrics* metrics, AcceptHandler handler)
    : fd_(fd), listener_(std::move(listener)), metrics_(metrics), handler_(std::move(handler)) {
  uv_poll_init_socket(loop, &poll_, fd_);
  poll_.data = this;
  for (uv_timer_t* timer : {&retry_timer_, &quiet_timer_}) {
    uv_timer_init(loop, timer);
    timer->data = this;
  }
}

Acceptor::~Acceptor() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void Acceptor::start() {
  started_ = true;
  if (!closing_ && !held_) {
    uv_poll_start(&poll_, UV_READABLE, onReadable);
  }
}

void Acceptor::hold(bool on) {
  if (on == held_ || closing_) {
    return;
  }
  held_ = on;
  if (on) {
    uv_poll_stop(&poll_);
    return;
  }
  if (started_ && uv_is_active(reinterpret_cast<uv_handle_t*>(&retry_timer_)) == 0) {
    // The poll is level-triggered: what queued meanwhile wakes it at once.
    uv_poll_start(&poll_, UV_READABLE, onReadable);
  }
}

void Acceptor::assign(std::shared_ptr<const Listener> listener, ListenerMetrics* metrics) {
  listener_ = std::move(listener);
  metrics_ = metrics;
}

void Acceptor::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&quiet_timer_), onClosed);
}

void Acceptor::onClosed(uv_handle_t* handle) {
  auto* self = static_cast<Acceptor*>(handle->data);
  if (--self->open_handles_ == 0) {
    delete self;
  }
}

void Acceptor::onReadable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<Acceptor*>(poll->data);
  if (status != 0) {
    spdlog::warn("listener {}: cannot watch the listening socket: {}", self->listener_->config.name,
                 uv_strerror(status));
    self->pauseAfter(EIO);
    return;
  }
  self->acceptPending();
}

void Acceptor::acceptPending() {
  for (int i = 0; i < kAcceptBatch && !closing_ && !held_; ++i) {
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      if (in_burst_ && !quiet_pending_) {
        quiet_pending_ = true;
        uv_timer_start(&quiet_timer_, onQuiet, kBurstQuietMs, 0);
      }
      handler_(*this, fd);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      return;
    }
    if (error == EINTR || error == ECONNABORTED || error == EPROTO || error == EPERM) {
      continue;  // that client gave up or was refused by a firewall; the next may be fine
    }
    metrics_->accept_errors.add();
    pauseAfter(error);
    return;
  }
}

// Out of descriptors or memory: stop watching the socket (it would wake the
// loop again at once) and retry later, doubling the wait up to a second.
void Acceptor::pauseAfter(int error) {
  const uint64_t now = uv_now(poll_.loop);
  ++burst_failures_;
  last_failure_ms_ = now;
  if (quiet_pending_) {
    quiet_pending_ = false;  // the burst goes on
    uv_timer_stop(&quiet_timer_);
  }
  if (!in_burst_) {
    in_burst_ = true;
    burst_started_ms_ = now;
    retry_ms_ = kFirstRetryMs;
    spdlog::warn(
        "listener {}: cannot accept: {}; new connections wait in the queue while accepting "
        "is paused and retried{}",
        listener_->config.name, errorText(error),
        outOfResources(error) ? " (raise the open-file limit, LimitNOFILE= or ulimit -n, or lower "
                                "limits.max_connections)"
                              : "");
  } else {
    retry_ms_ = std::min(retry_ms_ * 2, kMaxRetryMs);
  }
  uv_poll_stop(&poll_);
  uv_timer_start(&retry_timer_, onRetry, retry_ms_, 0);
}

void Acceptor::onRetry(uv_timer_t* timer) {
  auto* self = static_cast<Acceptor*>(timer->data);
  if (self->closing_ || self->held_) {
    return;  // a release starts the poll again
  }
  uv_poll_start(&self->poll_, UV_READABLE, onReadable);
  self->acceptPending();
}

void Acceptor::onQuiet(uv_timer_t* timer) {
  auto* self = static_cast<Acceptor*>(timer->data);
  if (!self->closing_) {
    self->endBurst();
  }
}

// A second of accepting without a failure: the burst is over.
void Acceptor::endBurst() {
  spdlog::info("listener {}: accepting again after {} failed attempt(s) over {}ms",
               listener_->config.name, burst_failures_, last_failure_ms_ - burst_started_ms_);
  in_burst_ = false;
  quiet_pending_ = false;
  burst_failures_ = 0;
  retry_ms_ = kFirstRetryMs;
}

}  // namespace tlsgate
