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

#include "metrics/listener_metrics.h"
#include "metrics/snapshots.h"
#include "proxy/listener.h"
#include "tls/tls_session.h"
#include "util/byte_queue.h"

namespace tlsgate {

class Worker;

class Connection {
 public:
  // Serves `fd`, a socket just accepted for `listener`.
  static void accept(Worker& worker, std::shared_ptr<const Listener> listener,
                     ListenerMetrics& metrics, int fd);

  // Ends the connection now as a failure, logging `reason` and counting a
  // timeout of `kind` (used when a drain times out).
  void abort(const std::string& reason, TimeoutKind kind);
  // During a drain: closes the connection, both ways and gracefully, when
  // it has moved nothing for `idle_ms` and holds nothing to deliver.
  void closeIfIdle(uint64_t now_ms, uint64_t idle_ms);
  // The live state for /connections (tls::status / tls::connection fields).
  ConnectionSnapshot snapshot() const;

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

  Connection(Worker& worker, std::shared_ptr<const Listener> listener, ListenerMetrics& metrics);

  void start();
  void startBackendConnect();
  void progress();
  bool advanceHandshake(Side& side, Phase after);
  void pump(Side& source, Side& sink, uint64_t& counter, Counter& metric);
  void pump(Side& source, Side& sink, uint64_t& counter);
  bool moveTlsPlaintext(Side& source, Side& sink, uint64_t& counter);
  bool movePlaintext(Side& source, Side& sink, uint64_t& counter);
  void endStream(Side& source, Side& sink);
  void flush(Side& side);
  void startWrite(Side& side);
  void updateReading(Side& side, const Side& other);
  void maybeFinish();
  void noteHandshakeDone(Side& side);
  void failHandshake(Side& side, std::string reason);
  void failTimeout(TimeoutKind kind, std::string reason);
  void drop(std::string reason);
  bool clientLeftUnused(Side& side, int status);
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
  bool exchangedNothing() const { return bytes_up_ == 0 && bytes_down_ == 0; }
  TlsSideMetrics& sideMetrics(const Side& side);
  std::size_t highWatermark() const;

  static void onAlloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* request, int status);
  static void onShutdown(uv_shutdown_t* request, int status);
  static void onConnect(uv_connect_t* request, int status);
  static void onTimer(uv_timer_t* timer);
  static void onClosed(uv_handle_t* handle);

  Worker& worker_;
  std::shared_ptr<const Listener> listener_;
  ListenerMetrics& metrics_;
  uint64_t id_;
  std::string label_;
  Side client_;
  Side backend_;
  uv_connect_t connect_req_{};
  uv_timer_t timer_{};
  Phase phase_ = Phase::handshake;
  bool closing_ = false;
  bool failed_ = false;
  bool dropped_ = false;
  int open_handles_ = 0;
  uint64_t started_ms_ = 0;
  uint64_t handshake_started_ns_ = 0;  // of the handshake in progress
  uint64_t last_activity_ms_ = 0;
  uint64_t bytes_up_ = 0;    // client -> backend, plaintext
  uint64_t bytes_down_ = 0;  // backend -> client, plaintext
  std::string client_text_;
  std::string reason_;
  std::string close_note_;  // an ordinary end worth a word in the log line
};

}  // namespace tlsgate
