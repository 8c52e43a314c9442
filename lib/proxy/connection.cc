#include "proxy/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "proxy/connection_log.h"
#include "proxy/phase_plan.h"
#include "proxy/uv_error.h"
#include "proxy/worker.h"
#include "util/tls_record_size.h"

namespace tlsgate {
namespace {

TlsSideSnapshot tlsSideSnapshot(const TlsSession& session) {
  TlsSideSnapshot out;
  out.sni = session.servername();
  if (!session.handshakeDone()) {
    return out;
  }
  out.protocol = session.protocol();
  out.cipher = session.cipher();
  out.alpn = session.alpn();
  out.resumed = session.resumed();
  PeerIdentity identity = session.peerIdentity();
  if (identity.present()) {
    out.peer = PeerCertificateSnapshot{identity.subject, identity.issuer, identity.not_before,
                                       identity.not_after, identity.sha256};
  }
  // A finished handshake has verified whatever it was asked to verify.
  if (session.side() == Side::accept) {
    out.verification = identity.present() ? "ok" : "none";
  } else {
    out.verification = session.context().verifiesPeer() ? "ok" : "not verified (verify: false)";
  }
  return out;
}

PhaseId following(PhaseId id) {
  return static_cast<PhaseId>(static_cast<int>(id) + 1);
}

}  // namespace

void Connection::accept(Worker& worker, std::shared_ptr<const Listener> listener,
                        ListenerMetrics& metrics, int fd) {
  auto* connection = new Connection(worker, std::move(listener), metrics);
  connection->start(fd);
}

Connection::Connection(Worker& worker, std::shared_ptr<const Listener> listener,
                       ListenerMetrics& metrics)
    : worker_(worker),
      listener_(std::move(listener)),
      metrics_(metrics),
      id_(worker.nextConnectionId()),
      label_("conn=" + std::to_string(id_)),
      client_(*this, worker.pool(), "accept", &worker.smallPool()),
      backend_(*this, worker.pool(), "connect"),
      relay_(worker.scratch(), worker.global().limits.buffer_size) {
  uv_timer_init(worker_.loop(), &timer_);
  timer_.data = this;
  ++open_handles_;
  started_ms_ = last_activity_ms_ = uv_now(worker_.loop());
  worker_.add(this);
  metrics_.connections_total.add();
  metrics_.connections_active.add();
}

Connection::~Connection() {
  metrics_.connections_active.sub();
  worker_.remove(this);
}

void Connection::start(int fd) {
  int rc = client_.adopt(worker_.loop(), fd, listener_->listen_address.family());
  if (rc != 0) {
    drop("cannot serve the accepted socket: " + uvErrorText(rc));
    return;
  }
  facts_.client = client_.peerText();
  const uint64_t limit = worker_.global().limits.max_connections;
  if (limit > 0 && worker_.activeConnections() > limit) {
    drop("over limits.max_connections (" + std::to_string(limit) + ")");
    return;
  }
  run();
}

// Phases may call progress() from inside advance() (a lookup that fails at
// once); the guard turns that into one more turn of the loop below.
void Connection::run() {
  if (closing_) {
    return;
  }
  if (running_) {
    run_again_ = true;
    return;
  }
  running_ = true;
  do {
    run_again_ = false;
    while (!closing_ && !inRelay()) {
      if (!phase_ && !enterNextPhase()) {
        break;
      }
      if (!handle(phase_->advance(*this))) {
        break;
      }
      phase_.reset();
    }
    if (closing_) {
      break;
    }
    if (inRelay()) {
      relay();
    } else {
      updateReading();
    }
  } while (run_again_ && !closing_);
  running_ = false;
}

bool Connection::enterNextPhase() {
  const bool first = !std::exchange(phases_started_, true);
  for (PhaseId id = first ? PhaseId::proxy_protocol : following(phase_id_); id != PhaseId::proxy;
       id = following(id)) {
    phase_id_ = id;
    phase_ = makePhase(id, *this);
    if (!phase_) {
      continue;
    }
    const PhaseBudget budget = phase_->budget();
    if (budget != PhaseBudget::none && budget != budget_) {
      budget_ = budget;
      const Timeouts& timeouts = worker_.global().timeouts;
      armTimer(static_cast<uint64_t>(
          (budget == PhaseBudget::connect ? timeouts.connect : timeouts.handshake).count()));
    }
    phase_->start(*this);
    return true;
  }
  // Every phase is done: relay. Plaintext bound for TLS is read in whole
  // records' worth, so that none is cut short at the end of a chunk.
  phase_id_ = PhaseId::proxy;
  budget_ = PhaseBudget::idle;
  if (client_.tls && !backend_.tls) {
    backend_.setReadGranularity(kMaxTlsPlaintext);
  } else if (backend_.tls && !client_.tls) {
    client_.setReadGranularity(kMaxTlsPlaintext);
  }
  scheduleHandOver();
  armIdleTimer();
  return false;
}

// A TLS 1.3 accept side moves to tlsgate's record layer once the connection
// has relayed for limits.record_layer_after: most short connections are
// over by then and never pay for its keys, and idle ones shed OpenSSL's
// per-connection state (record_layer.h).
void Connection::scheduleHandOver() {
  TlsSession* tls = client_.tls.get();
  if (tls == nullptr || !tls->mayHandOver()) {
    return;
  }
  const std::optional<Duration>& after = worker_.global().limits.record_layer_after;
  if (!after) {
    tls->stayWithOpenSsl();
    return;
  }
  hand_over_at_ms_ = uv_now(worker_.loop()) + static_cast<uint64_t>(after->count());
  handOverIfDue();
}

void Connection::handOverIfDue() {
  const uint64_t now = uv_now(worker_.loop());
  if (hand_over_at_ms_ == 0 || now < hand_over_at_ms_) {
    return;
  }
  TlsSession& tls = *client_.tls;
  if (tls.handOver()) {
    hand_over_at_ms_ = 0;
    worker_.noteTlsStateFreed();
    return;
  }
  if (!tls.mayHandOver()) {
    hand_over_at_ms_ = 0;
    return;
  }
  // OpenSSL holds part of a record: the next relay pass tries again, or
  // the timer, a little later.
  // A reload may have changed the setting since the relay started.
  constexpr uint64_t kRetryMs = 10;
  const std::optional<Duration>& after = worker_.global().limits.record_layer_after;
  hand_over_at_ms_ = now + std::max(after ? static_cast<uint64_t>(after->count()) : 0, kRetryMs);
}

// Returns true when the current phase is done and the next may start.
bool Connection::handle(PhaseStatus status) {
  if (closing_) {
    return false;
  }
  switch (status.kind) {
    case PhaseStatus::Kind::go_on:
      return true;
    case PhaseStatus::Kind::wait:
      return false;
    case PhaseStatus::Kind::close:
      close_note_ = std::move(status.reason);
      close();
      return false;
    case PhaseStatus::Kind::fail:
      if (phase_) {
        phase_->countFailure(*this, status.reason);
      }
      fail(std::move(status.reason));
      return false;
    case PhaseStatus::Kind::drop:
      drop(std::move(status.reason));
      return false;
  }
  fail("unexpected phase state");
  return false;
}

void Connection::relay() {
  const uint64_t up = relay_.bytesUp();
  const uint64_t down = relay_.bytesDown();
  RelayResult result = relay_.pump(client_, backend_);
  if (hand_over_at_ms_ != 0 && !closing_) {
    handOverIfDue();
  }
  if (relay_.bytesUp() != up) {
    metrics_.bytes_up.add(relay_.bytesUp() - up);
  }
  if (relay_.bytesDown() != down) {
    metrics_.bytes_down.add(relay_.bytesDown() - down);
  }
  if (closing_) {
    return;
  }
  switch (result.status) {
    case RelayStatus::flowing:
      break;
    case RelayStatus::finished:
      close();
      return;
    case RelayStatus::failed:
      fail(std::move(result.reason));
      return;
    case RelayStatus::aborted:
      return;
  }
  if (!half_closed_ && relay_.halfClosed()) {
    half_closed_ = true;
    spdlog::debug("{} {} side ended its stream; half-closing the other", label_,
                  relay_.clientEnded() ? client_.name() : backend_.name());
    armIdleTimer();  // the close timeout applies from now on
  }
}

// Before the relay, each endpoint reads up to the watermark whatever the
// phases have not consumed yet; its bytes wait in rx.
void Connection::updateReading() {
  relay_.updateReading(client_, backend_);
  relay_.updateReading(backend_, client_);
}

void Connection::onEndpointInput(Endpoint& /*endpoint*/) {
  last_activity_ms_ = uv_now(worker_.loop());
  run();
}

void Connection::onEndpointOutput(Endpoint& /*endpoint*/) {
  last_activity_ms_ = uv_now(worker_.loop());
  // Room in this endpoint's buffer may let the other side's reads resume.
  run();
}

void Connection::onEndpointConnected(Endpoint& /*endpoint*/) {
  run();
}

void Connection::onEndpointError(Endpoint& endpoint, Operation operation, int status) {
  if (closing_) {
    return;
  }
  if (operation == Operation::connect && phase_) {
    PhaseStatus outcome = phase_->onConnectFailed(*this, status);
    if (outcome.kind == PhaseStatus::Kind::wait || outcome.kind == PhaseStatus::Kind::go_on) {
      run();
      return;
    }
    handle(std::move(outcome));
    return;
  }
  failIo(endpoint, operation, status);
}

void Connection::onSocketOpened() {
  ++open_handles_;
}

void Connection::onSocketClosed() {
  if (--open_handles_ == 0) {
    delete this;
  }
}

void Connection::armTimer(uint64_t milliseconds) {
  uv_timer_start(&timer_, onTimer, milliseconds, 0);
}

// The idle timer is not restarted on every read: it fires, then checks how
// long the connection has really been quiet and re-arms for the rest.
void Connection::armIdleTimer() {
  const Timeouts& timeouts = worker_.global().timeouts;
  Duration limit = relay_.halfClosed() ? std::min(timeouts.idle, timeouts.close) : timeouts.idle;
  uint64_t quiet = uv_now(worker_.loop()) - last_activity_ms_;
  uint64_t left = static_cast<uint64_t>(limit.count()) > quiet
                      ? static_cast<uint64_t>(limit.count()) - quiet
                      : 0;
  if (hand_over_at_ms_ != 0) {
    const uint64_t now = uv_now(worker_.loop());
    left = std::min(left, hand_over_at_ms_ > now ? hand_over_at_ms_ - now : 0);
  }
  armTimer(left);
}

void Connection::onTimer(uv_timer_t* timer) {
  auto* self = static_cast<Connection*>(timer->data);
  if (self->closing_) {
    return;
  }
  if (!self->inRelay()) {
    if (!self->phase_) {
      return;
    }
    PhaseStatus outcome = self->phase_->onTimeout(*self);
    if (outcome.kind == PhaseStatus::Kind::fail) {
      self->failTimeout(
          self->budget_ == PhaseBudget::connect ? TimeoutKind::connect : TimeoutKind::handshake,
          std::move(outcome.reason));
      return;
    }
    if (outcome.kind == PhaseStatus::Kind::wait || outcome.kind == PhaseStatus::Kind::go_on) {
      self->run();
      return;
    }
    self->handle(std::move(outcome));
    return;
  }
  self->handOverIfDue();
  const Timeouts& timeouts = self->worker_.global().timeouts;
  const bool half = self->relay_.halfClosed();
  Duration limit = half ? std::min(timeouts.idle, timeouts.close) : timeouts.idle;
  uint64_t quiet = uv_now(self->worker_.loop()) - self->last_activity_ms_;
  if (quiet < static_cast<uint64_t>(limit.count())) {
    self->armIdleTimer();
    return;
  }
  self->failTimeout(half ? TimeoutKind::close : TimeoutKind::idle,
                    std::string(half ? "half-closed and quiet for " : "idle for ") +
                        std::to_string(quiet) + "ms (" +
                        (half ? "timeouts.close" : "timeouts.idle") + ")");
}

void Connection::abort(const std::string& reason, TimeoutKind kind) {
  failTimeout(kind, reason);
}

void Connection::closeIfIdle(uint64_t now_ms, uint64_t idle_ms) {
  if (closing_ || !inRelay() || now_ms - last_activity_ms_ < idle_ms) {
    return;
  }
  for (const Endpoint* endpoint : {&client_, &backend_}) {
    if (endpoint->writing() || !endpoint->tx.empty() || !endpoint->rx.empty()) {
      return;
    }
  }
  close_note_ = "closed while draining: idle";
  for (Endpoint* endpoint : {&client_, &backend_}) {
    if (endpoint->tls && !endpoint->tls->closeSent()) {
      endpoint->tls->shutdown();  // close_notify; close() gives it its one chance to leave
    }
  }
  close();
}

void Connection::failTimeout(TimeoutKind kind, std::string reason) {
  if (closing_) {
    return;
  }
  metrics_.timedOut(kind);
  fail(std::move(reason));
}

// Connections tlsgate cannot serve at all (over max_connections, out of
// descriptors) come in bursts: each is counted, and the log gets the first
// of each second and a count of the rest.
void Connection::drop(std::string reason) {
  if (closing_) {
    return;
  }
  metrics_.dropped.add();
  dropped_ = true;
  fail(std::move(reason));
}

void Connection::failIo(Endpoint& endpoint, Operation operation, int status) {
  const std::string side = endpoint.name();
  const bool reset = status == UV_ECONNRESET || status == UV_EPIPE;
  switch (operation) {
    case Operation::read: {
      // A reset from a peer after the other direction has been fully
      // delivered and closed (it got our close_notify and FIN) ends a
      // finished exchange: many clients close that way. Earlier, a reset
      // loses data and is a failure.
      const bool delivered =
          (&endpoint == &client_ ? relay_.backendEnded() : relay_.clientEnded()) &&
          endpoint.outputEnded();
      if (status == UV_ECONNRESET && delivered) {
        spdlog::debug("{} {} side reset the connection after the exchange", label_, side);
        close();
        return;
      }
      if (clientLeftUnused(endpoint, status)) {
        return;
      }
      fail("read from the " + side + " side failed: " + uvErrorText(status));
      return;
    }
    case Operation::write: {
      // A peer that has finished sending and then closes its socket outright
      // makes our last writes fail with a reset or broken pipe. It chose to
      // stop listening, so that is the end of the connection, not a failure.
      const bool source_ended =
          &endpoint == &client_ ? relay_.clientEnded() : relay_.backendEnded();
      if (source_ended && reset) {
        spdlog::debug("{} {} side closed before taking our last bytes ({})", label_, side,
                      uvErrorText(status));
        close();
        return;
      }
      if (clientLeftUnused(endpoint, status)) {
        return;
      }
      fail("write to the " + side + " side failed: " + uvErrorText(status));
      return;
    }
    case Operation::shutdown:
      fail("cannot half-close the " + side + " side: " + uvErrorText(status));
      return;
    case Operation::connect:
      fail("backend connect failed: " + uvErrorText(status));
      return;
  }
}

// A client that completes the handshake (or connects, on a plaintext port)
// and leaves without sending or reading a byte, typically before the session
// ticket arrives, resets the connection. openssl s_time and most health
// checkers do that: a normal end, not a failure.
bool Connection::clientLeftUnused(Endpoint& endpoint, int status) {
  const bool reset = status == UV_ECONNRESET || status == UV_EPIPE;
  const bool handshake_done = !endpoint.tls || endpoint.tls->handshakeDone();
  if (&endpoint != &client_ || !reset || !exchangedNothing() || !handshake_done) {
    return false;
  }
  close_note_ = "client left after the handshake without sending data";
  close();
  return true;
}

void Connection::fail(std::string reason) {
  if (closing_) {
    return;
  }
  failed_ = true;
  reason_ = std::move(reason);
  close();
}

void Connection::close() {
  if (closing_) {
    return;
  }
  // Whatever TLS has queued (an alert, close_notify) gets one chance to leave.
  client_.flushBestEffort();
  backend_.flushBestEffort();
  closing_ = true;
  logClose();
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), onTimerClosed);
  client_.close();
  backend_.close();
}

void Connection::onTimerClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  self->onSocketClosed();
}

void Connection::logClose() {
  ConnectionRecord record;
  record.id = id_;
  record.listener = listener_->config.name;
  record.generation = listener_->generation;
  record.client = facts_.client;
  record.backend = facts_.backend;
  record.duration_s = static_cast<double>(uv_now(worker_.loop()) - started_ms_) / 1000.0;
  record.bytes_up = relay_.bytesUp();
  record.bytes_down = relay_.bytesDown();
  if (client_.tls) {
    record.accept_tls = TlsSummary::of(*client_.tls);
  }
  if (backend_.tls) {
    record.connect_tls = TlsSummary::of(*backend_.tls);
  }
  record.failed = failed_;
  record.phase = phaseName(phase_id_);
  record.reason = reason_;
  record.note = close_note_;
  // A client that handshakes (or connects, in plaintext) and leaves at once,
  // by FIN, is a health checker or s_time, not a failure.
  if (!failed_ && record.note.empty() && exchangedNothing() && relay_.clientEnded()) {
    record.note = "client left after the handshake without sending data";
  }
  if (dropped_) {
    std::optional<uint64_t> unlogged = worker_.dropLog().admit(uv_now(worker_.loop()));
    if (!unlogged) {
      return;
    }
    if (*unlogged > 0) {
      record.reason += " (and " + std::to_string(*unlogged) +
                       " more dropped connection(s) not logged since the last line)";
    }
  }
  logConnection(record);
}

ConnectionSnapshot Connection::snapshot() const {
  ConnectionSnapshot out;
  out.id = id_;
  out.listener = listener_->config.name;
  out.generation = listener_->generation;
  out.client = facts_.client;
  out.backend = facts_.backend;
  if (closing_ || relay_.halfClosed()) {
    out.state = "CLOSING";
  } else {
    out.state = inRelay() ? "OPEN" : "NEGOTIATING";
  }
  out.age_seconds = static_cast<double>(uv_now(worker_.loop()) - started_ms_) / 1000.0;
  out.bytes_up = relay_.bytesUp();
  out.bytes_down = relay_.bytesDown();
  if (client_.tls) {
    out.accept_tls = tlsSideSnapshot(*client_.tls);
  }
  if (backend_.tls) {
    out.connect_tls = tlsSideSnapshot(*backend_.tls);
  }
  return out;
}

}  // namespace tlsgate
