// In-memory stand-ins for the two ends of a relay, with no sockets.
//
// A MemoryPort is what the relay sees of a socket: input and output queues,
// an optional TLS session, and a flush that moves output onto `wire` (all of
// it, or write_step bytes per call, as a socket with a small buffer would).
// A MemoryPeer is the program at the far end of that socket: it delivers
// its bytes into the port's input only while the port reads, and takes what
// the port puts on the wire, decrypting it with its own TLS session when
// the port speaks TLS.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "proxy/relay.h"
#include "tls/tls_session.h"
#include "util/byte_queue.h"

namespace tlsgate::test {

inline std::span<const std::byte> bytesOf(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// Moves up to `limit` bytes from the head of `from` to the tail of `to`.
inline std::size_t moveBytes(ByteQueue& from, ByteQueue& to,
                             std::size_t limit = std::numeric_limits<std::size_t>::max()) {
  std::size_t moved = 0;
  while (moved < limit && !from.empty()) {
    std::span<const std::byte> bytes = from.front();
    bytes = bytes.first(std::min(bytes.size(), limit - moved));
    to.append(bytes);
    from.consume(bytes.size());
    moved += bytes.size();
  }
  return moved;
}

inline std::string takeAll(ByteQueue& queue) {
  std::string out(queue.size(), '\0');
  queue.read({reinterpret_cast<std::byte*>(out.data()), out.size()});
  return out;
}

// `size` bytes that do not repeat with any short period, so a dropped,
// doubled or reordered piece shows.
inline std::string randomPayload(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (char& c : out) {
    c = static_cast<char>(random() & 0xff);
  }
  return out;
}

// The chunk size the workers use: four whole TLS records each.
inline constexpr std::size_t kTestChunkSize = std::size_t{64} * 1024 + 512;

class MemoryPort final : public RelayPort {
 public:
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

  explicit MemoryPort(BufferPool& pool) : in(pool), out(pool), wire(pool) {}

  // The peer's FIN. A TLS session learns of it as an Endpoint tells it.
  void endInput() {
    input_ended_ = true;
    if (tls) {
      tls->setInputEnded();
    }
  }

  // RelayPort
  ByteQueue& input() override { return in; }
  ByteQueue& output() override { return out; }
  TlsSession* session() override { return tls.get(); }
  bool inputEnded() const override { return input_ended_; }
  bool flush() override {
    ++flushes;
    if (flush_fails) {
      return false;
    }
    if (!connected) {
      return true;
    }
    moveBytes(out, wire, write_step);
    if (out.empty() && ending_) {
      fin_sent_ = true;
    }
    return true;
  }
  void setReading(bool want) override {
    reading_ = want;
    reading_calls.push_back(want);
  }
  bool isReading() const override { return reading_; }
  void endOutput() override { ending_ = true; }
  bool outputEnding() const override { return ending_; }
  bool outputEnded() const override { return fin_sent_; }
  bool canWrite() const override { return connected; }

  ByteQueue in;    // what the peer sent: ciphertext when tls is set
  ByteQueue out;   // what the relay wants sent: ciphertext when tls is set
  ByteQueue wire;  // what the "socket" has taken so far
  std::unique_ptr<TlsSession> tls;
  std::size_t write_step = kUnlimited;  // bytes one flush moves to the wire
  bool flush_fails = false;
  bool connected = true;
  int flushes = 0;
  std::vector<bool> reading_calls;  // every setReading(), in order

 private:
  bool input_ended_ = false;
  bool reading_ = false;  // an Endpoint starts paused too
  bool ending_ = false;
  bool fin_sent_ = false;
};

// The program on the far side of a MemoryPort.
class MemoryPeer {
 public:
  MemoryPeer(MemoryPort& port, BufferPool& pool) : tls_in(pool), tls_out(pool), port_(port) {}

  // Joins the port and this peer with a TLS session each and completes the
  // handshake in memory. The port's session plays `port_context`'s role.
  bool handshake(std::shared_ptr<const TlsContext> port_context,
                 std::shared_ptr<const TlsContext> peer_context) {
    port_.tls = TlsSession::create(std::move(port_context), port_.in, port_.out, "relay port");
    tls = TlsSession::create(std::move(peer_context), tls_in, tls_out, "relay peer");
    for (int round = 0; round < 20; ++round) {
      TlsResult ours = port_.tls->handshake();
      TlsResult theirs = tls->handshake();
      moveBytes(port_.out, tls_in);
      moveBytes(tls_out, port_.in);
      if (ours.status == TlsStatus::failed || theirs.status == TlsStatus::failed) {
        return false;
      }
      if (port_.tls->handshakeDone() && tls->handshakeDone()) {
        return true;
      }
    }
    return false;
  }

  // Queues plaintext to send, in pieces of deliver_step bytes.
  void send(const std::string& bytes) { to_send_ += bytes; }
  // After everything queued: close_notify (TLS only), then the FIN.
  void sendCloseNotify() { close_notify_wanted_ = true; }
  void sendFin() { fin_wanted_ = true; }

  // One turn: delivers one piece if the port reads, and takes everything
  // the port has put on the wire.
  void step() {
    deliver();
    receive();
  }

  bool sentEverything() const {
    return sent_ == to_send_.size() && tls_out.empty() && (!fin_wanted_ || port_.inputEnded());
  }

  std::unique_ptr<TlsSession> tls;
  ByteQueue tls_in;
  ByteQueue tls_out;
  std::size_t deliver_step = std::size_t{16} * 1024;
  // A varying piece size, so records and chunks are cut at many places.
  std::mt19937* random_steps = nullptr;

  std::string received;
  bool saw_close_notify = false;
  std::size_t received_before_close_notify = 0;
  bool saw_fin = false;
  bool fin_before_close_notify = false;
  std::string tls_failure;

 private:
  std::size_t pieceSize() {
    if (random_steps == nullptr) {
      return deliver_step;
    }
    return std::uniform_int_distribution<std::size_t>(1, deliver_step)(*random_steps);
  }

  void deliver() {
    // A socket that is not read leaves the peer's bytes in the kernel.
    if (!port_.isReading() || port_.inputEnded()) {
      return;
    }
    const std::size_t piece = pieceSize();
    if (!tls) {
      const std::size_t n = std::min(piece, to_send_.size() - sent_);
      port_.in.append(bytesOf(to_send_.substr(sent_, n)));
      sent_ += n;
    } else {
      if (tls_out.empty() && sent_ < to_send_.size()) {
        const std::size_t n = std::min(piece, to_send_.size() - sent_);
        tls->write(bytesOf(to_send_.substr(sent_, n)));
        sent_ += n;
      }
      if (sent_ == to_send_.size() && close_notify_wanted_ && !tls->closeSent()) {
        tls->shutdown();
      }
      moveBytes(tls_out, port_.in, piece);
    }
    if (fin_wanted_ && sent_ == to_send_.size() && tls_out.empty() &&
        (!close_notify_wanted_ || !tls || tls->closeSent())) {
      port_.endInput();
    }
  }

  void receive() {
    if (!tls) {
      received += takeAll(port_.wire);
    } else {
      moveBytes(port_.wire, tls_in);
      readTls();
    }
    if (port_.outputEnded() && port_.wire.empty() && !saw_fin) {
      saw_fin = true;
      fin_before_close_notify = tls && !saw_close_notify;
    }
  }

  void readTls() {
    std::vector<std::byte> buffer(TlsSession::kReadRoom);
    while (!saw_close_notify && tls_failure.empty()) {
      TlsResult result = tls->read(buffer);
      switch (result.status) {
        case TlsStatus::ok:
          received.append(reinterpret_cast<const char*>(buffer.data()), result.bytes);
          continue;
        case TlsStatus::want_input:
          return;
        case TlsStatus::end_of_stream:
          saw_close_notify = true;
          received_before_close_notify = received.size();
          return;
        case TlsStatus::failed:
          tls_failure = tls->failureReason();
          return;
      }
    }
  }

  MemoryPort& port_;
  std::string to_send_;
  std::size_t sent_ = 0;
  bool close_notify_wanted_ = false;
  bool fin_wanted_ = false;
};

}  // namespace tlsgate::test
