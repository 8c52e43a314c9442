#include "proxy/connection.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "proxy/connection_log.h"
#include "proxy/worker.h"

namespace tlsgate {
namespace {

// A socket read lands in the tail chunk only when at least this much room is
// left there; otherwise a fresh chunk is taken, so reads stay large.
constexpr std::size_t kMinReadRoom = 4096;
// Room for one whole decrypted record: TlsSession then decrypts straight into
// the queue.
constexpr std::size_t kMinPlaintextRoom = TlsSession::kReadRoom;
// The most plaintext one TLS record carries.
constexpr std::size_t kRecordPayload = std::size_t{16} * 1024;
// uv_write keeps up to four buffers inline; more would allocate.
constexpr std::size_t kWriteBuffers = 4;
constexpr std::size_t kTryWriteBuffers = 16;

const char* phaseName(int phase) {
  static constexpr std::array<const char*, 4> kNames = {"handshake", "connect", "backend_handshake",
                                                        "proxy"};
  return kNames.at(static_cast<std::size_t>(phase));
}

// Points libuv buffers at the head of `queue`; returns how many were filled.
template <std::size_t N>
unsigned int gatherBuffers(const ByteQueue& queue, std::array<uv_buf_t, N>& bufs) {
  std::array<std::span<const std::byte>, N> pieces;
  const std::size_t count = queue.gather(pieces);
  for (std::size_t i = 0; i < count; ++i) {
    // libuv's buffers are mutable by type only; writes never change them.
    bufs[i] = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(pieces[i].data())),
                          static_cast<unsigned int>(pieces[i].size()));
  }
  return static_cast<unsigned int>(count);
}

std::string uvErrorText(int status) {
  switch (status) {
    case UV_ECONNREFUSED:
      return "connection refused";
    case UV_ECONNRESET:
      return "connection reset by peer";
    case UV_EPIPE:
      return "peer closed the connection (broken pipe)";
    case UV_ETIMEDOUT:
      return "timed out";
    case UV_EHOSTUNREACH:
      return "host unreachable";
    case UV_ENETUNREACH:
      return "network unreachable";
    default:
      return uv_strerror(status);
  }
}

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
  if (session.role() == TlsRole::server) {
    out.verification = identity.present() ? "ok" : "none";
  } else {
    out.verification = session.context().verifiesPeer() ? "ok" : "not verified (verify: false)";
  }
  return out;
}

}  // namespace

void Connection::accept(Worker& worker, std::shared_ptr<const Listener> listener,
                        ListenerMetrics& metrics, int fd) {
  auto* connection = new Connection(worker, std::move(listener), metrics);
  Side& client = connection->client_;
  uv_tcp_init(worker.loop(), &client.tcp);
  client.tcp.data = &client;
  client.open = true;
  ++connection->open_handles_;
  int rc = uv_tcp_open(&client.tcp, fd);
  if (rc != 0) {
    ::close(fd);
    connection->drop("cannot serve the accepted socket: " + uvErrorText(rc));
    return;
  }
  connection->start();
}

Connection::Connection(Worker& worker, std::shared_ptr<const Listener> listener,
                       ListenerMetrics& metrics)
    : worker_(worker),
      listener_(std::move(listener)),
      metrics_(metrics),
      id_(worker.nextConnectionId()),
      label_("conn=" + std::to_string(id_)),
      client_(*this, worker.pool(), "accept"),
      backend_(*this, worker.pool(), "connect") {
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

void Connection::start() {
  client_.connected = true;
  client_text_ = peerAddress(&client_.tcp);
  uv_tcp_nodelay(&client_.tcp, 1);

  const uint64_t limit = worker_.global().limits.max_connections;
  if (limit > 0 && worker_.activeConnections() > limit) {
    drop("over limits.max_connections (" + std::to_string(limit) + ")");
    return;
  }
  if (!listener_->accept_tls) {
    startBackendConnect();
    return;
  }
  client_.tls =
      TlsSession::create(listener_->accept_tls, client_.rx, client_.tx, label_ + " accept");
  if (!client_.tls) {
    fail("out of memory creating a TLS session");
    return;
  }
  phase_ = Phase::handshake;
  handshake_started_ns_ = uv_hrtime();
  armTimer(worker_.global().timeouts.handshake.count());
  updateReading(client_, backend_);
}

void Connection::startBackendConnect() {
  phase_ = Phase::connect;
  armTimer(worker_.global().timeouts.connect.count());
  uv_tcp_init(worker_.loop(), &backend_.tcp);
  backend_.tcp.data = &backend_;
  backend_.open = true;
  ++open_handles_;
  connect_req_.data = this;
  int rc =
      uv_tcp_connect(&connect_req_, &backend_.tcp, listener_->backend_address.get(), onConnect);
  if (rc != 0) {
    metrics_.backend_connect_failures.add();
    // Out of descriptors, the socket could not even be made: tlsgate drops
    // the connection, and a burst of those is logged in summary.
    if (rc == UV_EMFILE || rc == UV_ENFILE || rc == UV_ENOBUFS || rc == UV_ENOMEM) {
      drop("backend connect failed: " + uvErrorText(rc));
    } else {
      fail("backend connect failed: " + uvErrorText(rc));
    }
    return;
  }
  // Keep reading the client meanwhile (up to the watermark); its bytes wait in rx.
  updateReading(client_, backend_);
}

void Connection::onConnect(uv_connect_t* request, int status) {
  auto* self = static_cast<Connection*>(request->data);
  if (self->closing_) {
    return;
  }
  if (status != 0) {
    self->metrics_.backend_connect_failures.add();
    self->fail("backend connect failed: " + uvErrorText(status));
    return;
  }
  Side& backend = self->backend_;
  backend.connected = true;
  uv_tcp_nodelay(&backend.tcp, 1);
  if (self->listener_->connect_tls) {
    backend.tls = TlsSession::create(self->listener_->connect_tls, backend.rx, backend.tx,
                                     self->label_ + " connect");
    if (!backend.tls) {
      self->fail("out of memory creating a TLS session");
      return;
    }
    self->phase_ = Phase::backend_handshake;
    self->handshake_started_ns_ = uv_hrtime();
    self->armTimer(self->worker_.global().timeouts.handshake.count());
  } else {
    self->phase_ = Phase::proxy;
    self->armIdleTimer();
  }
  self->updateReading(backend, self->client_);
  self->progress();
}

// Moves the connection forward after any event. Safe to call at any time.
void Connection::progress() {
  if (closing_) {
    return;
  }
  switch (phase_) {
    case Phase::handshake:
      if (advanceHandshake(client_, Phase::connect)) {
        startBackendConnect();
      }
      return;
    case Phase::connect:
      updateReading(client_, backend_);
      return;
    case Phase::backend_handshake:
      if (!advanceHandshake(backend_, Phase::proxy)) {
        return;
      }
      armIdleTimer();
      break;
    case Phase::proxy:
      break;
  }
  pump(client_, backend_, bytes_up_, metrics_.bytes_up);
  if (closing_) {
    return;
  }
  pump(backend_, client_, bytes_down_, metrics_.bytes_down);
  if (closing_) {
    return;
  }
  maybeFinish();
}

// Returns true when the side's handshake has just completed.
bool Connection::advanceHandshake(Side& side, Phase after) {
  TlsResult result = side.tls->handshake();
  flush(side);
  switch (result.status) {
    case TlsStatus::ok:
      phase_ = after;
      noteHandshakeDone(side);
      return !closing_;
    case TlsStatus::want_input:
      updateReading(side, &side == &client_ ? backend_ : client_);
      return false;
    case TlsStatus::end_of_stream:
    case TlsStatus::failed:
      failHandshake(side, side.tls->failureReason());
      return false;
  }
  fail("unexpected TLS handshake state");
  return false;
}

// Moves plaintext from source to sink until the source has nothing ready or
// the sink's buffer reaches its high watermark.
void Connection::pump(Side& source, Side& sink, uint64_t& counter, Counter& metric) {
  const uint64_t before = counter;
  pump(source, sink, counter);
  if (counter != before) {
    metric.add(counter - before);
  }
}

void Connection::pump(Side& source, Side& sink, uint64_t& counter) {
  const std::size_t high = highWatermark();
  bool more = true;
  while (more && !source.stream_ended) {
    while (more && !source.stream_ended && sink.tx.size() < high) {
      more = source.tls ? moveTlsPlaintext(source, sink, counter)
                        : movePlaintext(source, sink, counter);
      if (closing_) {
        return;
      }
    }
    // A write that completes at once makes room to go on. One that does not
    // leaves the sink full, and its completion calls progress() again: the
    // source may hold more than a buffer's worth and read nothing new.
    flush(sink);
    if (closing_ || sink.tx.size() >= high) {
      break;
    }
  }
  if (closing_) {
    return;
  }
  if (source.stream_ended && !sink.shutdown_wanted) {
    endStream(source, sink);
  }
  flush(sink);
  if (source.tls) {
    flush(source);  // key updates, tickets and alerts the read produced
  }
  if (closing_) {
    return;
  }
  updateReading(source, sink);
}

// One record's worth from a TLS source. Returns false when nothing more is
// ready now.
bool Connection::moveTlsPlaintext(Side& source, Side& sink, uint64_t& counter) {
  std::span<std::byte> room = sink.tls ? worker_.scratch() : sink.tx.prepare(kMinPlaintextRoom);
  TlsResult result = source.tls->read(room);
  switch (result.status) {
    case TlsStatus::ok:
      break;
    case TlsStatus::want_input:
      if (!sink.tls) {
        sink.tx.trimTail();
      }
      return false;
    case TlsStatus::end_of_stream:
      if (!sink.tls) {
        sink.tx.trimTail();
      }
      source.stream_ended = true;
      return false;
    case TlsStatus::failed:
      if (!sink.tls) {
        sink.tx.trimTail();
      }
      fail(source.tls->failureReason());
      return false;
  }
  counter += result.bytes;
  if (!sink.tls) {
    sink.tx.commit(result.bytes);
    return true;
  }
  TlsResult written = sink.tls->write(room.first(result.bytes));
  if (written.status != TlsStatus::ok) {
    fail(sink.tls->failureReason());
    return false;
  }
  return true;
}

// One chunk from a plaintext source. Returns false when nothing more is
// ready now.
bool Connection::movePlaintext(Side& source, Side& sink, uint64_t& counter) {
  std::span<const std::byte> bytes = source.rx.front();
  if (bytes.empty()) {
    source.stream_ended = source.read_ended;
    return false;
  }
  if (sink.tls) {
    TlsResult written = sink.tls->write(bytes);
    if (written.status != TlsStatus::ok) {
      fail(sink.tls->failureReason());
      return false;
    }
  } else {
    sink.tx.append(bytes);
  }
  counter += bytes.size();
  source.rx.consume(bytes.size());
  return true;
}

// The source will send nothing more: pass the half-close on. A TLS sink gets
// close_notify, then a TCP FIN once it is written (tls_close CHAN write).
void Connection::endStream(Side& source, Side& sink) {
  sink.shutdown_wanted = true;
  if (sink.tls) {
    sink.tls->shutdown();
  }
  spdlog::debug("{} {} side ended its stream; half-closing the {} side", label_, source.name,
                sink.name);
  armIdleTimer();  // the close timeout applies from now on
}

void Connection::flush(Side& side) {
  if (!side.connected || side.writing || closing_) {
    return;
  }
  if (side.tx.empty()) {
    if (side.shutdown_wanted && !side.shutdown_started) {
      side.shutdown_started = true;
      side.shutdown_req.data = &side;
      int rc =
          uv_shutdown(&side.shutdown_req, reinterpret_cast<uv_stream_t*>(&side.tcp), onShutdown);
      if (rc != 0) {
        fail(std::string("cannot half-close the ") + side.name + " side: " + uvErrorText(rc));
      }
    }
    return;
  }
  // Most writes complete at once: try that first, without a request.
  int written = tryWrite(side);
  if (written < 0 && written != UV_EAGAIN) {
    failWrite(side, written);
    return;
  }
  if (written > 0) {
    side.tx.consume(static_cast<std::size_t>(written));
    last_activity_ms_ = uv_now(worker_.loop());
  }
  if (!side.tx.empty()) {
    startWrite(side);
    return;
  }
  flush(side);  // drained: a pending half-close may go now
}

void Connection::startWrite(Side& side) {
  std::array<uv_buf_t, kWriteBuffers> bufs{};
  const unsigned int count = gatherBuffers(side.tx, bufs);
  side.in_flight = 0;
  for (unsigned int i = 0; i < count; ++i) {
    side.in_flight += bufs[i].len;
  }
  side.write_req.data = &side;
  int rc = uv_write(&side.write_req, reinterpret_cast<uv_stream_t*>(&side.tcp), bufs.data(), count,
                    onWrite);
  if (rc != 0) {
    failWrite(side, rc);
    return;
  }
  side.writing = true;
}

void Connection::onWrite(uv_write_t* request, int status) {
  auto* side = static_cast<Side*>(request->data);
  Connection* self = side->owner;
  side->writing = false;
  side->tx.consume(side->in_flight);
  side->in_flight = 0;
  if (self->closing_) {
    return;
  }
  if (status != 0) {
    self->failWrite(*side, status);
    return;
  }
  self->last_activity_ms_ = uv_now(self->worker_.loop());
  self->flush(*side);
  // Room in this side's buffer may let the other side's reads resume.
  self->progress();
}

void Connection::onShutdown(uv_shutdown_t* request, int status) {
  auto* side = static_cast<Side*>(request->data);
  Connection* self = side->owner;
  if (self->closing_) {
    return;
  }
  if (status != 0 && status != UV_ENOTCONN) {
    self->fail(std::string("cannot half-close the ") + side->name +
               " side: " + uvErrorText(status));
    return;
  }
  side->shutdown_done = true;
  self->maybeFinish();
}

// Reading from `side` feeds the direction that ends at `other`: it stops
// while either buffer on that path is above the watermark.
void Connection::updateReading(Side& side, const Side& other) {
  if (!side.connected || side.read_ended || closing_) {
    return;
  }
  const std::size_t high = highWatermark();
  const bool sink_full = other.connected && other.tx.size() >= high;
  const bool want = side.rx.size() < high && !sink_full;
  if (want == side.reading) {
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&side.tcp);
  if (!want) {
    uv_read_stop(stream);
    side.reading = false;
    return;
  }
  // Resume only below the low watermark, so reads do not flap at the edge.
  if (other.connected && other.tx.size() > high / 2) {
    return;
  }
  int rc = uv_read_start(stream, onAlloc, onRead);
  if (rc != 0) {
    fail(std::string("cannot read from the ") + side.name + " side: " + uvErrorText(rc));
    return;
  }
  side.reading = true;
}

void Connection::onAlloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) {
  auto* side = static_cast<Side*>(handle->data);
  std::span<std::byte> room = side->rx.prepare(kMinReadRoom);
  const Side& sink = side == &side->owner->client_ ? side->owner->backend_ : side->owner->client_;
  if (!side->tls && sink.tls && room.size() > kRecordPayload) {
    // Plaintext bound for TLS: whole records' worth per read, so that none
    // is cut short at the end of a chunk.
    room = room.first(room.size() - room.size() % kRecordPayload);
  }
  buf->base = reinterpret_cast<char*>(room.data());
  buf->len = room.size();
}

void Connection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* side = static_cast<Side*>(stream->data);
  Connection* self = side->owner;
  if (nread > 0) {
    side->rx.commit(static_cast<std::size_t>(nread));
    self->last_activity_ms_ = uv_now(self->worker_.loop());
    self->progress();
    return;
  }
  side->rx.trimTail();  // an empty read must not pin a chunk
  if (nread == 0) {
    return;  // EAGAIN
  }
  if (nread != UV_EOF) {
    self->failRead(*side, static_cast<int>(nread));
    return;
  }
  side->read_ended = true;
  side->reading = false;
  uv_read_stop(stream);
  if (side->tls) {
    side->tls->setInputEnded();
  }
  self->progress();
}

void Connection::maybeFinish() {
  auto done = [](const Side& source, const Side& sink) {
    return source.stream_ended && sink.shutdown_done;
  };
  if (done(client_, backend_) && done(backend_, client_)) {
    close();
  }
}

bool Connection::halfClosed() const {
  return client_.stream_ended || backend_.stream_ended;
}

std::size_t Connection::highWatermark() const {
  return worker_.global().limits.buffer_size;
}

void Connection::armTimer(uint64_t milliseconds) {
  uv_timer_start(&timer_, onTimer, milliseconds, 0);
}

// The idle timer is not restarted on every read: it fires, then checks how
// long the connection has really been quiet and re-arms for the rest.
void Connection::armIdleTimer() {
  const Timeouts& timeouts = worker_.global().timeouts;
  Duration limit = halfClosed() ? std::min(timeouts.idle, timeouts.close) : timeouts.idle;
  uint64_t quiet = uv_now(worker_.loop()) - last_activity_ms_;
  uint64_t left = static_cast<uint64_t>(limit.count()) > quiet
                      ? static_cast<uint64_t>(limit.count()) - quiet
                      : 0;
  armTimer(left);
}

void Connection::onTimer(uv_timer_t* timer) {
  auto* self = static_cast<Connection*>(timer->data);
  if (self->closing_) {
    return;
  }
  const Timeouts& timeouts = self->worker_.global().timeouts;
  switch (self->phase_) {
    case Phase::handshake:
    case Phase::backend_handshake: {
      Side& side = self->phase_ == Phase::handshake ? self->client_ : self->backend_;
      self->sideMetrics(side).fail(FailureKind::timeout);
      self->failTimeout(TimeoutKind::handshake, "handshake timed out after " +
                                                    std::to_string(timeouts.handshake.count()) +
                                                    "ms (timeouts.handshake)");
      return;
    }
    case Phase::connect:
      self->metrics_.backend_connect_failures.add();
      self->failTimeout(TimeoutKind::connect, "backend connect failed: timed out after " +
                                                  std::to_string(timeouts.connect.count()) +
                                                  "ms (timeouts.connect)");
      return;
    case Phase::proxy:
      break;
  }
  const bool half = self->halfClosed();
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
  if (closing_ || phase_ != Phase::proxy || now_ms - last_activity_ms_ < idle_ms) {
    return;
  }
  for (const Side* side : {&client_, &backend_}) {
    if (side->writing || !side->tx.empty() || !side->rx.empty()) {
      return;
    }
  }
  close_note_ = "closed while draining: idle";
  for (Side* side : {&client_, &backend_}) {
    if (side->tls && !side->tls->closeSent()) {
      side->tls->shutdown();  // close_notify; close() gives it its one chance to leave
    }
  }
  close();
}

void Connection::noteHandshakeDone(Side& side) {
  TlsSideMetrics& metrics = sideMetrics(side);
  metrics.handshakes.add();
  if (side.tls->resumed()) {
    metrics.resumptions.add();
  }
  metrics.duration.observe((uv_hrtime() - handshake_started_ns_) / 1000);
}

void Connection::failHandshake(Side& side, std::string reason) {
  sideMetrics(side).fail(classifyFailure(reason));
  fail(std::move(reason));
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

TlsSideMetrics& Connection::sideMetrics(const Side& side) {
  return &side == &client_ ? metrics_.accept : metrics_.connect;
}

// A reset from a peer after the other direction has been fully delivered and
// closed (it got our close_notify and FIN) ends a finished exchange: many
// clients close that way. Earlier, a reset loses data and is a failure.
void Connection::failRead(Side& side, int status) {
  const Side& other = &side == &client_ ? backend_ : client_;
  if (status == UV_ECONNRESET && other.stream_ended && side.shutdown_done) {
    spdlog::debug("{} {} side reset the connection after the exchange", label_, side.name);
    close();
    return;
  }
  if (clientLeftUnused(side, status)) {
    return;
  }
  fail(std::string("read from the ") + side.name + " side failed: " + uvErrorText(status));
}

// A peer that has finished sending and then closes its socket outright makes
// our last writes fail with a reset or broken pipe. It chose to stop
// listening, so that is the end of the connection, not a failure.
void Connection::failWrite(Side& side, int status) {
  if (side.stream_ended && (status == UV_EPIPE || status == UV_ECONNRESET)) {
    spdlog::debug("{} {} side closed before taking our last bytes ({})", label_, side.name,
                  uvErrorText(status));
    close();
    return;
  }
  if (clientLeftUnused(side, status)) {
    return;
  }
  fail(std::string("write to the ") + side.name + " side failed: " + uvErrorText(status));
}

// A client that completes the handshake (or connects, on a plaintext port)
// and leaves without sending or reading a byte, typically before the session
// ticket arrives, resets the connection. openssl s_time and most health
// checkers do that: a normal end, not a failure.
bool Connection::clientLeftUnused(Side& side, int status) {
  const bool reset = status == UV_ECONNRESET || status == UV_EPIPE;
  const bool handshake_done = !side.tls || side.tls->handshakeDone();
  if (&side != &client_ || !reset || !exchangedNothing() || !handshake_done) {
    return false;
  }
  side.stream_ended = true;  // gone: logClose() words it as an ordinary end
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

// Whatever TLS has queued (an alert, close_notify) gets one chance to leave.
void Connection::flushBestEffort(Side& side) {
  if (!side.connected || side.writing || side.tx.empty()) {
    return;
  }
  tryWrite(side);
}

// One non-blocking write of the head of side.tx: bytes written or a UV error.
int Connection::tryWrite(Side& side) {
  std::array<uv_buf_t, kTryWriteBuffers> bufs{};
  const unsigned int count = gatherBuffers(side.tx, bufs);
  return uv_try_write(reinterpret_cast<uv_stream_t*>(&side.tcp), bufs.data(), count);
}

void Connection::close() {
  if (closing_) {
    return;
  }
  flushBestEffort(client_);
  flushBestEffort(backend_);
  closing_ = true;
  logClose();
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), onClosed);
  for (Side* side : {&client_, &backend_}) {
    if (side->open) {
      uv_close(reinterpret_cast<uv_handle_t*>(&side->tcp), onClosed);
    }
  }
}

void Connection::onClosed(uv_handle_t* handle) {
  Connection* self = handle->type == UV_TIMER ? static_cast<Connection*>(handle->data)
                                              : static_cast<Side*>(handle->data)->owner;
  if (--self->open_handles_ == 0) {
    delete self;
  }
}

void Connection::logClose() {
  ConnectionRecord record;
  record.id = id_;
  record.listener = listener_->config.name;
  record.generation = listener_->generation;
  record.client = client_text_;
  record.backend = backend_.open ? listener_->backend_text : std::string();
  record.duration_s = static_cast<double>(uv_now(worker_.loop()) - started_ms_) / 1000.0;
  record.bytes_up = bytes_up_;
  record.bytes_down = bytes_down_;
  if (client_.tls) {
    record.accept_tls = TlsSummary::of(*client_.tls);
  }
  if (backend_.tls) {
    record.connect_tls = TlsSummary::of(*backend_.tls);
  }
  record.failed = failed_;
  record.phase = phaseName(static_cast<int>(phase_));
  record.reason = reason_;
  record.note = close_note_;
  // A client that handshakes (or connects, in plaintext) and leaves at once,
  // by reset or by FIN, is a health checker or s_time, not a failure.
  if (!failed_ && record.note.empty() && exchangedNothing() && client_.stream_ended) {
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
  out.client = client_text_;
  out.backend = backend_.open ? listener_->backend_text : std::string();
  if (closing_ || halfClosed()) {
    out.state = "CLOSING";
  } else {
    out.state = phase_ == Phase::proxy ? "OPEN" : "NEGOTIATING";
  }
  out.age_seconds = static_cast<double>(uv_now(worker_.loop()) - started_ms_) / 1000.0;
  out.bytes_up = bytes_up_;
  out.bytes_down = bytes_down_;
  if (client_.tls) {
    out.accept_tls = tlsSideSnapshot(*client_.tls);
  }
  if (backend_.tls) {
    out.connect_tls = tlsSideSnapshot(*backend_.tls);
  }
  return out;
}

}  // namespace tlsgate
