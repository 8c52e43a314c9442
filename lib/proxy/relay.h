// The relay: moves plaintext both ways between two ports once every phase
// before it is done, with watermarks and half-close. It knows nothing of
// libuv: a port is a pair of byte queues, an optional TLS session and a
// socket it can ask to write, read or half-close. The unit tests drive it
// over in-memory ports and TLS session pairs.
//
//   source.input --TLS read or copy--> sink.output (or sink TLS write)
//
// Each port's output is the bounded buffer of the direction that ends
// there. Above the high watermark the source stops reading; reading
// resumes below half of it. A TLS port also stops reading while its own
// output is above the watermark, and always reads until one whole record
// has arrived, even past a watermark smaller than a record. When a source ends (FIN or
// close_notify), the sink gets close_notify (if TLS) and then a FIN once its output drains: TWAPI's
// tls_close CHAN write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tls/tls_session.h"
#include "util/byte_queue.h"

namespace tlsgate {

class RelayPort {
 public:
  virtual ByteQueue& input() = 0;
  virtual ByteQueue& output() = 0;
  virtual TlsSession* session() = 0;  // null: plaintext
  // The peer sent its FIN; input holds whatever came before it.
  virtual bool inputEnded() const = 0;
  // Writes output as far as the socket takes it now. false: the port
  // failed, and the connection is closing.
  virtual bool flush() = 0;
  virtual void setReading(bool want) = 0;
  virtual bool isReading() const = 0;
  // Half-close once output has drained.
  virtual void endOutput() = 0;
  virtual bool outputEnding() const = 0;
  virtual bool outputEnded() const = 0;  // the FIN is sent
  virtual bool canWrite() const = 0;     // connected

 protected:
  ~RelayPort() = default;
  RelayPort() = default;
  RelayPort(const RelayPort&) = default;
  RelayPort& operator=(const RelayPort&) = default;
  RelayPort(RelayPort&&) = default;
  RelayPort& operator=(RelayPort&&) = default;
};

enum class RelayStatus {
  flowing,   // wait for the next event
  finished,  // both directions ended and every FIN is sent
  failed,    // see reason
  aborted,   // a port failed and has reported it already
};

struct RelayResult {
  RelayStatus status = RelayStatus::flowing;
  std::string reason;
};

class Relay {
 public:
  // `scratch` holds one decrypted record when both ends are TLS;
  // `high_watermark` is limits.buffer_size.
  Relay(std::span<std::byte> scratch, std::size_t high_watermark)
      : scratch_(scratch), high_(high_watermark) {}

  // Moves everything that can move now, in both directions.
  RelayResult pump(RelayPort& client, RelayPort& backend);

  // Reading from `source` feeds the direction that ends at `sink`: it stops
  // while either buffer on that path is above the watermark, or while a TLS
  // source's own output is (what TLS answers it waits on it reading).
  void updateReading(RelayPort& source, RelayPort& sink) const;

  uint64_t bytesUp() const { return up_.bytes; }      // client -> backend, plaintext
  uint64_t bytesDown() const { return down_.bytes; }  // backend -> client, plaintext
  // No more plaintext will come from the client (or backend).
  bool clientEnded() const { return up_.ended; }
  bool backendEnded() const { return down_.ended; }
  bool halfClosed() const { return up_.ended || down_.ended; }
  std::size_t highWatermark() const { return high_; }

 private:
  struct Direction {
    uint64_t bytes = 0;
    bool ended = false;  // the source will send no more plaintext
  };

  // How much of `port`'s input may wait before reading stops: the
  // watermark, and never less than one whole TLS record for a TLS port.
  std::size_t inputLimit(RelayPort& port) const;
  RelayResult pumpOne(RelayPort& source, RelayPort& sink, Direction& direction);
  // One record or chunk; false when nothing more is ready now.
  bool moveTls(RelayPort& source, RelayPort& sink, Direction& direction, RelayResult& result);
  bool movePlain(RelayPort& source, RelayPort& sink, Direction& direction, RelayResult& result);

  std::span<std::byte> scratch_;
  std::size_t high_;
  Direction up_;
  Direction down_;
};

}  // namespace tlsgate
