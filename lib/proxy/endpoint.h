// One end of a proxied connection: a socket (TCP or unix), its two bounded
// buffers and, once a TLS phase has made one, its TLS session.
//
//   socket --read--> rx        tx --write--> socket
//
// The read and write states are explicit enums. The uv handle and the
// requests that refer to it live in a Socket of their own, which frees
// itself in its close callback; so an endpoint can drop a failed backend
// attempt and connect again at once, while the old handle is still closing.
// Callbacks never reach an endpoint through a detached socket.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>

#include "proxy/relay.h"
#include "proxy/socket_address.h"
#include "tls/tls_session.h"
#include "util/byte_queue.h"

namespace tlsgate {

class Endpoint;

// What an endpoint tells its connection. Every callback may close the
// connection.
class EndpointEvents {
 public:
  enum class Operation { read, write, shutdown, connect };

  // Bytes arrived in rx, or the peer ended its stream (readState() ended).
  virtual void onEndpointInput(Endpoint& endpoint) = 0;
  // A write completed (tx has room again) or a half-close finished.
  virtual void onEndpointOutput(Endpoint& endpoint) = 0;
  virtual void onEndpointConnected(Endpoint& endpoint) = 0;
  virtual void onEndpointError(Endpoint& endpoint, Operation operation, int status) = 0;
  // A socket was opened, and later its handle closed and freed: the
  // connection lives until every socket it opened is gone.
  virtual void onSocketOpened() = 0;
  virtual void onSocketClosed() = 0;

 protected:
  ~EndpointEvents() = default;
  EndpointEvents() = default;
  EndpointEvents(const EndpointEvents&) = default;
  EndpointEvents& operator=(const EndpointEvents&) = default;
  EndpointEvents(EndpointEvents&&) = default;
  EndpointEvents& operator=(EndpointEvents&&) = default;
};

class Endpoint final : public RelayPort {
 public:
  enum class ReadState { paused, reading, ended };
  enum class WriteState {
    open,           // tx is written as it fills
    ending,         // a half-close is wanted once tx has drained
    shutting_down,  // uv_shutdown is in flight
    ended,          // the FIN is sent
  };

  // `small_pool`, if given, holds the bytes of staged reads (below).
  Endpoint(EndpointEvents& events, BufferPool& pool, const char* name,
           BufferPool* small_pool = nullptr);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  Endpoint(Endpoint&&) = delete;
  Endpoint& operator=(Endpoint&&) = delete;

  // Takes an accepted socket. On failure the fd is closed and a UV error returned.
  int adopt(uv_loop_t* loop, int fd, int family);
  // Starts connecting to `address`; onEndpointConnected or onEndpointError follows.
  int connect(uv_loop_t* loop, const SocketAddress& address);
  // Closes the socket and forgets everything it held, so the endpoint can
  // connect again (the next backend of a list). The TLS session is dropped.
  void reset();
  // Closes the socket for good; safe to call at any time, and again.
  void close();

  const char* name() const { return name_; }
  bool hasSocket() const { return socket_ != nullptr; }
  bool connected() const { return connected_; }
  ReadState readState() const { return read_state_; }
  WriteState writeState() const { return write_state_; }
  bool writing() const { return in_flight_ > 0; }
  // The remote address, "-" when unknown.
  std::string peerText() const;
  // The socket's remote and local addresses; ss_family is AF_UNSPEC for
  // one that is unknown.
  void addresses(sockaddr_storage& peer, sockaddr_storage& local) const;
  // Reads land in rx in multiples of this size when it is above one chunk
  // (whole TLS records' worth when the other side encrypts).
  void setReadGranularity(std::size_t bytes) { read_granularity_ = bytes; }

  // While staging, reads land in `staged`, whose chunks are small, instead
  // of rx: a peer that sends a few bytes and stalls then holds a small
  // chunk, not a read-sized one (a ClientHello before the TLS session is
  // made). Ending it moves the staged bytes to the end of rx.
  void stageReads(bool on);
  bool staging() const { return staging_; }

  // Whatever is queued gets one chance to leave, without waiting (an alert
  // or close_notify before a close).
  void flushBestEffort();

  ByteQueue rx;
  ByteQueue tx;
  ByteQueue staged;
  std::unique_ptr<TlsSession> tls;

  // RelayPort
  ByteQueue& input() override { return rx; }
  ByteQueue& output() override { return tx; }
  TlsSession* session() override { return tls.get(); }
  bool inputEnded() const override { return read_state_ == ReadState::ended; }
  bool flush() override;
  void setReading(bool want) override;
  bool isReading() const override { return read_state_ == ReadState::reading; }
  void endOutput() override;
  bool outputEnded() const override { return write_state_ == WriteState::ended; }
  bool outputEnding() const override { return write_state_ != WriteState::open; }
  bool canWrite() const override { return connected_; }

 private:
  struct Socket;

  Socket* open(uv_loop_t* loop, int family);
  int tryWrite();
  bool startWrite();
  void detach();

  static void onAlloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* request, int status);
  static void onShutdown(uv_shutdown_t* request, int status);
  static void onConnect(uv_connect_t* request, int status);
  static void onClosed(uv_handle_t* handle);

  EndpointEvents& events_;
  const char* name_;  // "accept" or "connect"
  Socket* socket_ = nullptr;
  bool connected_ = false;
  ReadState read_state_ = ReadState::paused;
  WriteState write_state_ = WriteState::open;
  std::size_t in_flight_ = 0;  // bytes of tx handed to uv_write
  std::size_t read_granularity_ = 0;
  bool staging_ = false;
};

}  // namespace tlsgate
