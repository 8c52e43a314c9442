// One proxied connection: an accepted client socket joined to a backend
// socket, either of which may carry a TLS session.
//
// The byte path:
//   socket --read--> side.rx --TlsSession or copy--> other.tx --write--> socket
// Each side's tx is the bounded buffer of the direction that ends there.
// Above the high watermark (limits.buffer_size) the source stops reading;
// once the write completes below half of it, reading resumes.
//
// Lifetime: every uv handle here is owned by the Connection, which deletes
// itself in the last close callback. close() may be called any number of
// times.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "proxy/listener.h"
#include "tls/tls_session.h"
#include "util/byte_queue.h"

namespace tlsgate {

class Worker;

class Connection {
 public:
  // Accepts one pending connection from `server` and starts serving it.
  static void accept(Worker& worker, std::shared_ptr<Listener> listener, uv_stream_t* server);

  // Ends the connection now, logging `reason` (used when a drain times out).
  void abort(const std::string& reason);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  // The worker's intrusive list.
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  // Where the connection is in its life; names the phase of a failure.
  enum class Phase { handshake, connect, backend_handshake, proxy };

  struct Side {
    Side(Connection& connection, BufferPool& pool, const char* side_name)
        : owner(&connection), name(side_name), rx(pool), tx(pool) {}

    Connection* owner;
    const char* name;  // "accept" or "connect"
    uv_tcp_t tcp{};
    bool open = false;          // tcp is initialised and needs uv_close
    bool connected = false;     // bytes may flow
    bool reading = false;       // uv_read_start is in force
    bool read_ended = false;    // the socket delivered EOF
    bool stream_ended = false;  // no more plaintext will come from this side
    bool writing = false;
    std::size_t in_flight = 0;  // bytes of tx handed to uv_write
    bool shutdown_wanted = false;
    bool shutdown_started = false;
    bool shutdown_done = false;
    uv_write_t write_req{};
    uv_shutdown_t shutdown_req{};
    ByteQueue rx;
    ByteQueue tx;
    std::unique_ptr<TlsSession> tls;
  };

  Connection(Worker& worker, std::shared_ptr<Listener> listener);

  void start();
  void startBackendConnect();
  void progress();
  bool advanceHandshake(Side& side, Phase after);
  void pump(Side& source, Side& sink, uint64_t& counter);
  bool moveTlsPlaintext(Side& source, Side& sink, uint64_t& counter);
  bool movePlaintext(Side& source, Side& sink, uint64_t& counter);
  void endStream(Side& source, Side& sink);
  void flush(Side& side);
  void startWrite(Side& side);
  void updateReading(Side& side, const Side& other);
  void maybeFinish();
  void fail(std::string reason);
  void failWrite(Side& side, int status);
  void failRead(Side& side, int status);
  void close();
  void flushBestEffort(Side& side);
  int tryWrite(Side& side);
  void armTimer(uint64_t milliseconds);
  void armIdleTimer();
  void logClose();
  bool halfClosed() const;
  std::size_t highWatermark() const;

  static void onAlloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* request, int status);
  static void onShutdown(uv_shutdown_t* request, int status);
  static void onConnect(uv_connect_t* request, int status);
  static void onTimer(uv_timer_t* timer);
  static void onClosed(uv_handle_t* handle);

  Worker& worker_;
  std::shared_ptr<Listener> listener_;
  uint64_t id_;
  std::string label_;
  Side client_;
  Side backend_;
  uv_connect_t connect_req_{};
  uv_timer_t timer_{};
  Phase phase_ = Phase::handshake;
  bool closing_ = false;
  bool failed_ = false;
  int open_handles_ = 0;
  uint64_t started_ms_ = 0;
  uint64_t last_activity_ms_ = 0;
  uint64_t bytes_up_ = 0;    // client -> backend, plaintext
  uint64_t bytes_down_ = 0;  // backend -> client, plaintext
  std::string client_text_;
  std::string reason_;
};

}  // namespace tlsgate
