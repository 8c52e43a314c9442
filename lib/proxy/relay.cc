#include "proxy/relay.h"

#include <algorithm>

#include "util/tls_record_size.h"

namespace tlsgate {
namespace {

// Room for one whole decrypted record: TlsSession then decrypts straight into
// the sink's queue.
constexpr std::size_t kMinPlaintextRoom = TlsSession::kReadRoom;
// The largest TLS record on the wire, TLS 1.2's, header included. A TLS
// port reads until a whole one is in, whatever the watermark, or a record
// longer than limits.buffer_size would never complete.
constexpr std::size_t kMaxCiphertextRecord = kTlsRecordHeader + kMaxTls12Ciphertext;

}  // namespace

RelayResult Relay::pump(RelayPort& client, RelayPort& backend) {
  RelayResult result = pumpOne(client, backend, up_);
  if (result.status != RelayStatus::flowing) {
    return result;
  }
  result = pumpOne(backend, client, down_);
  if (result.status != RelayStatus::flowing) {
    return result;
  }
  if (up_.ended && down_.ended && client.outputEnded() && backend.outputEnded()) {
    result.status = RelayStatus::finished;
  }
  return result;
}

// Moves plaintext from source to sink until the source has nothing ready or
// the sink's buffer reaches its high watermark.
RelayResult Relay::pumpOne(RelayPort& source, RelayPort& sink, Direction& direction) {
  RelayResult result;
  bool more = true;
  while (more && !direction.ended) {
    while (more && !direction.ended && sink.output().size() < high_) {
      more = source.session() != nullptr ? moveTls(source, sink, direction, result)
                                         : movePlain(source, sink, direction, result);
      if (result.status != RelayStatus::flowing) {
        return result;
      }
    }
    // A write that completes at once makes room to go on. One that does not
    // leaves the sink full, and its completion pumps again: the source may
    // hold more than a buffer's worth and read nothing new.
    if (!sink.flush()) {
      return {RelayStatus::aborted, {}};
    }
    if (sink.output().size() >= high_) {
      break;
    }
  }
  if (direction.ended && !sink.outputEnding()) {
    // The source will send nothing more: pass the half-close on. A TLS sink
    // gets close_notify, then a TCP FIN once it is written.
    if (sink.session() != nullptr) {
      sink.session()->shutdown();
    }
    sink.endOutput();
  }
  if (!sink.flush()) {
    return {RelayStatus::aborted, {}};
  }
  // Key updates, tickets and alerts the read produced.
  if (source.session() != nullptr && !source.flush()) {
    return {RelayStatus::aborted, {}};
  }
  updateReading(source, sink);
  return result;
}

bool Relay::moveTls(RelayPort& source, RelayPort& sink, Direction& direction, RelayResult& result) {
  TlsSession& tls = *source.session();
  TlsSession* sink_tls = sink.session();
  std::span<std::byte> room =
      sink_tls != nullptr ? scratch_ : sink.output().prepare(kMinPlaintextRoom);
  TlsResult read = tls.read(room);
  if (read.status != TlsStatus::ok) {
    if (sink_tls == nullptr) {
      sink.output().trimTail();
    }
    switch (read.status) {
      case TlsStatus::want_input:
        return false;
      case TlsStatus::end_of_stream:
        direction.ended = true;
        return false;
      case TlsStatus::failed:
        result = {RelayStatus::failed, tls.failureReason()};
        return false;
      case TlsStatus::ok:
        break;
    }
  }
  direction.bytes += read.bytes;
  if (sink_tls == nullptr) {
    sink.output().commit(read.bytes);
    return true;
  }
  TlsResult written = sink_tls->write(room.first(read.bytes));
  if (written.status != TlsStatus::ok) {
    result = {RelayStatus::failed, sink_tls->failureReason()};
    return false;
  }
  return true;
}

bool Relay::movePlain(RelayPort& source, RelayPort& sink, Direction& direction,
                      RelayResult& result) {
  std::span<const std::byte> bytes = source.input().front();
  if (bytes.empty()) {
    direction.ended = source.inputEnded();
    return false;
  }
  if (TlsSession* sink_tls = sink.session()) {
    TlsResult written = sink_tls->write(bytes);
    if (written.status != TlsStatus::ok) {
      result = {RelayStatus::failed, sink_tls->failureReason()};
      return false;
    }
  } else {
    sink.output().append(bytes);
  }
  direction.bytes += bytes.size();
  source.input().consume(bytes.size());
  return true;
}

std::size_t Relay::inputLimit(RelayPort& port) const {
  return port.session() != nullptr ? std::max(high_, kMaxCiphertextRecord) : high_;
}

void Relay::updateReading(RelayPort& source, RelayPort& sink) const {
  if (source.inputEnded()) {
    return;
  }
  // Reading TLS makes TLS answer the same peer (a KeyUpdate for a
  // KeyUpdate, alerts): a peer that sends but never reads would grow its
  // own output without bound, so its own output counts too. Only for TLS:
  // reading plaintext adds nothing to the peer's output, and stopping a
  // plaintext backend that is busy writing to us would deadlock an echo.
  const bool own_full = source.session() != nullptr && source.output().size() >= high_;
  const bool sink_full = sink.canWrite() && sink.output().size() >= high_;
  const bool want = source.input().size() < inputLimit(source) && !sink_full && !own_full;
  if (want == source.isReading()) {
    return;
  }
  // Resume only below the low watermark, so reads do not flap at the edge.
  const bool sink_above_low = sink.canWrite() && sink.output().size() > high_ / 2;
  const bool own_above_low = source.session() != nullptr && source.output().size() > high_ / 2;
  if (want && (sink_above_low || own_above_low)) {
    return;
  }
  source.setReading(want);
}

}  // namespace tlsgate
