#include "proxy/endpoint.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>

namespace tlsgate {
namespace {

// A socket read lands in the tail chunk only when at least this much room is
// left there; otherwise a fresh chunk is taken, so reads stay large.
constexpr std::size_t kMinReadRoom = 4096;
// uv_write keeps up to four buffers inline; more would allocate.
constexpr std::size_t kWriteBuffers = 4;
constexpr std::size_t kTryWriteBuffers = 16;

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

}  // namespace

// The uv handle and every request on it. `owner` is cleared when the
// endpoint lets go, so late callbacks (a write cancelled by uv_close) find
// nobody to call.
struct Endpoint::Socket {
  union Handle {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  };

  Endpoint* owner = nullptr;
  EndpointEvents* events = nullptr;
  // A connect completes before any half-close can start, so the two
  // requests share their memory.
  union Request {
    uv_connect_t connect;
    uv_shutdown_t shutdown;
  };

  Handle handle{};
  uv_write_t write_req{};
  Request request{};

  uv_stream_t* stream() { return &handle.stream; }
};

Endpoint::Endpoint(EndpointEvents& events, BufferPool& pool, const char* name,
                   BufferPool* small_pool)
    : rx(pool),
      tx(pool),
      staged(small_pool != nullptr ? *small_pool : pool),
      events_(events),
      name_(name) {}

Endpoint::~Endpoint() {
  // The connection closes its endpoints before it is deleted; a socket still
  // attached here would call back into freed memory.
  detach();
}

Endpoint::Socket* Endpoint::open(uv_loop_t* loop, int family) {
  auto* socket = new Socket;
  socket->owner = this;
  socket->events = &events_;
  if (family == AF_UNIX) {
    uv_pipe_init(loop, &socket->handle.pipe, 0);
  } else {
    uv_tcp_init(loop, &socket->handle.tcp);
  }
  socket->handle.handle.data = socket;
  socket->write_req.data = socket;
  socket_ = socket;
  events_.onSocketOpened();
  return socket;
}

int Endpoint::adopt(uv_loop_t* loop, int fd, int family) {
  Socket* socket = open(loop, family);
  int rc = family == AF_UNIX ? uv_pipe_open(&socket->handle.pipe, fd)
                             : uv_tcp_open(&socket->handle.tcp, fd);
  if (rc != 0) {
    ::close(fd);
    return rc;
  }
  if (family != AF_UNIX) {
    uv_tcp_nodelay(&socket->handle.tcp, 1);
  }
  connected_ = true;
  return 0;
}

int Endpoint::connect(uv_loop_t* loop, const SocketAddress& address) {
  Socket* socket = open(loop, address.family());
  if (address.family() == AF_UNIX) {
    // uv_pipe_connect reports every failure through the callback.
    socket->request.connect.data = socket;
    uv_pipe_connect(&socket->request.connect, &socket->handle.pipe, address.unixPath().c_str(),
                    onConnect);
    return 0;
  }
  socket->request.connect.data = socket;
  return uv_tcp_connect(&socket->request.connect, &socket->handle.tcp, address.get(), onConnect);
}

void Endpoint::onConnect(uv_connect_t* request, int status) {
  auto* socket = static_cast<Socket*>(request->data);
  Endpoint* self = socket->owner;
  if (self == nullptr || status == UV_ECANCELED) {
    return;
  }
  if (status != 0) {
    self->events_.onEndpointError(*self, EndpointEvents::Operation::connect, status);
    return;
  }
  if (socket->handle.handle.type == UV_TCP) {
    uv_tcp_nodelay(&socket->handle.tcp, 1);
  }
  self->connected_ = true;
  self->events_.onEndpointConnected(*self);
}

void Endpoint::detach() {
  if (socket_ == nullptr) {
    return;
  }
  Socket* socket = socket_;
  socket_ = nullptr;
  socket->owner = nullptr;
  uv_close(&socket->handle.handle, onClosed);
}

void Endpoint::onClosed(uv_handle_t* handle) {
  auto* socket = static_cast<Socket*>(handle->data);
  EndpointEvents* events = socket->events;
  delete socket;
  events->onSocketClosed();
}

void Endpoint::reset() {
  detach();
  connected_ = false;
  read_state_ = ReadState::paused;
  write_state_ = WriteState::open;
  in_flight_ = 0;
  tls.reset();
  rx.clear();
  tx.clear();
  staged.clear();
  staging_ = false;
}

void Endpoint::stageReads(bool on) {
  staging_ = on;
  if (on) {
    return;
  }
  while (!staged.empty()) {
    std::span<const std::byte> bytes = staged.front();
    rx.append(bytes);
    staged.consume(bytes.size());
  }
  staged.clear();
}

void Endpoint::close() {
  detach();
  connected_ = false;
}

std::string Endpoint::peerText() const {
  if (socket_ == nullptr) {
    return "-";
  }
  if (socket_->handle.handle.type == UV_NAMED_PIPE) {
    // A unix socket's client has no name worth printing; the path is ours.
    std::array<char, 256> path{};
    std::size_t length = path.size();
    if (uv_pipe_getsockname(&socket_->handle.pipe, path.data(), &length) == 0 && length > 0) {
      return "unix:" + std::string(path.data(), length);
    }
    return "unix";
  }
  return peerAddress(&socket_->handle.tcp);
}

void Endpoint::addresses(sockaddr_storage& peer, sockaddr_storage& local) const {
  peer = {};
  local = {};
  if (socket_ == nullptr) {
    return;
  }
  uv_os_fd_t fd = -1;
  if (uv_fileno(&socket_->handle.handle, &fd) != 0) {
    return;
  }
  socklen_t length = sizeof(peer);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    peer = {};
  }
  length = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    local = {};
  }
}

bool Endpoint::flush() {
  if (!connected_ || writing() || socket_ == nullptr) {
    return true;
  }
  if (tx.empty()) {
    if (write_state_ == WriteState::ending) {
      write_state_ = WriteState::shutting_down;
      socket_->request.shutdown.data = socket_;
      int rc = uv_shutdown(&socket_->request.shutdown, socket_->stream(), onShutdown);
      if (rc != 0) {
        events_.onEndpointError(*this, EndpointEvents::Operation::shutdown, rc);
        return false;
      }
    }
    return true;
  }
  // Most writes complete at once: try that first, without a request.
  int written = tryWrite();
  if (written < 0 && written != UV_EAGAIN) {
    events_.onEndpointError(*this, EndpointEvents::Operation::write, written);
    return false;
  }
  if (written > 0) {
    tx.consume(static_cast<std::size_t>(written));
  }
  if (!tx.empty()) {
    return startWrite();
  }
  return flush();  // drained: a pending half-close may go now
}

int Endpoint::tryWrite() {
  std::array<uv_buf_t, kTryWriteBuffers> bufs{};
  const unsigned int count = gatherBuffers(tx, bufs);
  return uv_try_write(socket_->stream(), bufs.data(), count);
}

bool Endpoint::startWrite() {
  std::array<uv_buf_t, kWriteBuffers> bufs{};
  const unsigned int count = gatherBuffers(tx, bufs);
  std::size_t bytes = 0;
  for (unsigned int i = 0; i < count; ++i) {
    bytes += bufs[i].len;
  }
  int rc = uv_write(&socket_->write_req, socket_->stream(), bufs.data(), count, onWrite);
  if (rc != 0) {
    events_.onEndpointError(*this, EndpointEvents::Operation::write, rc);
    return false;
  }
  in_flight_ = bytes;
  return true;
}

void Endpoint::onWrite(uv_write_t* request, int status) {
  auto* socket = static_cast<Socket*>(request->data);
  Endpoint* self = socket->owner;
  if (self == nullptr) {
    return;
  }
  self->tx.consume(self->in_flight_);
  self->in_flight_ = 0;
  if (status != 0) {
    self->events_.onEndpointError(*self, EndpointEvents::Operation::write, status);
    return;
  }
  if (!self->flush()) {
    return;
  }
  self->events_.onEndpointOutput(*self);
}

void Endpoint::flushBestEffort() {
  if (!connected_ || writing() || tx.empty() || socket_ == nullptr) {
    return;
  }
  tryWrite();
}

void Endpoint::endOutput() {
  if (write_state_ == WriteState::open) {
    write_state_ = WriteState::ending;
  }
}

void Endpoint::onShutdown(uv_shutdown_t* request, int status) {
  auto* socket = static_cast<Socket*>(request->data);
  Endpoint* self = socket->owner;
  if (self == nullptr) {
    return;
  }
  if (status != 0 && status != UV_ENOTCONN) {
    self->events_.onEndpointError(*self, EndpointEvents::Operation::shutdown, status);
    return;
  }
  self->write_state_ = WriteState::ended;
  self->events_.onEndpointOutput(*self);
}

void Endpoint::setReading(bool want) {
  if (!connected_ || socket_ == nullptr || read_state_ == ReadState::ended) {
    return;
  }
  if (want == (read_state_ == ReadState::reading)) {
    return;
  }
  if (!want) {
    uv_read_stop(socket_->stream());
    read_state_ = ReadState::paused;
    return;
  }
  int rc = uv_read_start(socket_->stream(), onAlloc, onRead);
  if (rc != 0) {
    events_.onEndpointError(*this, EndpointEvents::Operation::read, rc);
    return;
  }
  read_state_ = ReadState::reading;
}

void Endpoint::onAlloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) {
  auto* socket = static_cast<Socket*>(handle->data);
  Endpoint* self = socket->owner;
  if (self->staging_) {
    // Whatever room the small tail chunk has left, or a fresh one.
    std::span<std::byte> room = self->staged.prepare();
    buf->base = reinterpret_cast<char*>(room.data());
    buf->len = room.size();
    return;
  }
  std::span<std::byte> room = self->rx.prepare(kMinReadRoom);
  const std::size_t unit = self->read_granularity_;
  if (unit > 0 && room.size() > unit) {
    // Plaintext bound for TLS: whole records' worth per read, so that none
    // is cut short at the end of a chunk.
    room = room.first(room.size() - room.size() % unit);
  }
  buf->base = reinterpret_cast<char*>(room.data());
  buf->len = room.size();
}

void Endpoint::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* socket = static_cast<Socket*>(stream->data);
  Endpoint* self = socket->owner;
  if (self == nullptr) {
    return;
  }
  ByteQueue& into = self->staging_ ? self->staged : self->rx;
  if (nread > 0) {
    into.commit(static_cast<std::size_t>(nread));
    self->events_.onEndpointInput(*self);
    return;
  }
  into.trimTail();  // an empty read must not pin a chunk
  if (nread == 0) {
    return;  // EAGAIN
  }
  if (nread != UV_EOF) {
    self->events_.onEndpointError(*self, EndpointEvents::Operation::read, static_cast<int>(nread));
    return;
  }
  uv_read_stop(stream);
  self->read_state_ = ReadState::ended;
  if (self->tls) {
    self->tls->setInputEnded();
  }
  self->events_.onEndpointInput(*self);
}

}  // namespace tlsgate
