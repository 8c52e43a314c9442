#include "tls/record_layer.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "tls/failure_reason.h"
#include "tls/traffic_secrets.h"

namespace tlsgate {
namespace {

constexpr std::size_t kHeaderSize = RecordCipher::kHeaderSize;
constexpr std::size_t kTagSize = RecordCipher::kTagSize;
// Header, content type byte and tag around the content of every record.
constexpr std::size_t kRecordOverhead = kHeaderSize + 1 + kTagSize;
constexpr std::size_t kKeyUpdateSize = 5;

std::string contentTypeText(int type) {
  return " (content type " + std::to_string(type) + ")";
}

}  // namespace

std::unique_ptr<RecordLayer> RecordLayer::create(const SSL_CIPHER* suite,
                                                 const TrafficSecrets& secrets, ByteQueue& in,
                                                 ByteQueue& out, PriorRecords before) {
  if (!RecordCipher::supports(suite) || !secrets.complete() || !secrets.atRecordBoundary() ||
      secrets.keyUpdated()) {
    return nullptr;
  }
  // RFC 8446 section 5.3: each key's sequence number goes on from the
  // records OpenSSL already read and wrote under it.
  std::unique_ptr<RecordLayer> layer(new RecordLayer(in, out));
  if (!layer->read_cipher_.init(suite, secrets.client(), false,
                                secrets.clientRecordsRead() + before.read) ||
      !layer->write_cipher_.init(suite, secrets.server(), true,
                                 secrets.serverRecordsSent() + before.written)) {
    return nullptr;
  }
  return layer;
}

RecordLayer::~RecordLayer() = default;

TlsResult RecordLayer::read(std::span<std::byte> plaintext) {
  if (held_end_ > held_begin_) {
    return deliverHeld(plaintext);
  }
  for (;;) {
    std::array<std::byte, kHeaderSize> header{};
    if (in_->peek(header) < header.size()) {
      return {TlsStatus::want_input, 0};
    }
    const auto outer_type = std::to_integer<int>(header[0]);
    const std::size_t length =
        std::to_integer<std::size_t>(header[3]) << 8 | std::to_integer<std::size_t>(header[4]);
    // legacy_record_version (header[1..2]) is ignored, as RFC 8446 asks; it
    // is authenticated all the same.
    if (outer_type != SSL3_RT_APPLICATION_DATA) {
      return fail(
          SSL_AD_UNEXPECTED_MESSAGE,
          "peer sent an unprotected TLS record after the handshake" + contentTypeText(outer_type));
    }
    if (length > kMaxCiphertext) {
      return fail(SSL_AD_RECORD_OVERFLOW, "peer sent a TLS record larger than TLS allows");
    }
    if (length < kTagSize + 1) {
      return fail(SSL_AD_BAD_RECORD_MAC, "corrupt TLS record from peer (bad MAC)");
    }
    // RFC 8446 section 5.5: a peer must update its key before the AEAD's
    // limit. One that goes on sends a record it should not have sent; RFC
    // 8446 section 6.2 names no better alert than unexpected_message.
    if (read_cipher_.records() >= read_cipher_.recordLimit()) {
      return fail(SSL_AD_UNEXPECTED_MESSAGE,
                  "peer sent more TLS records under one key than its cipher may protect");
    }
    if (in_->size() < kHeaderSize + length) {
      return {TlsStatus::want_input, 0};
    }
    const std::size_t room = length - kTagSize;
    std::byte* out = plaintext.size() >= room ? plaintext.data() : heldBuffer();
    std::size_t content = 0;
    int type = 0;
    if (!openRecord(length, out, content, type)) {
      return fail(SSL_AD_BAD_RECORD_MAC, "corrupt TLS record from peer (bad MAC)");
    }
    if (content > kMaxPlaintext) {
      return fail(SSL_AD_RECORD_OVERFLOW, "peer sent a TLS record larger than TLS allows");
    }
    if (handshake_size_ > 0 && type != SSL3_RT_HANDSHAKE) {
      return fail(SSL_AD_UNEXPECTED_MESSAGE,
                  "peer interleaved a TLS handshake message with other records");
    }
    if (content > 0) {
      empty_records_in_a_row_ = 0;
    }
    if (type == SSL3_RT_APPLICATION_DATA && content > 0) {
      key_updates_in_a_row_ = 0;
      warning_alerts_in_a_row_ = 0;
      if (out == plaintext.data()) {
        return {TlsStatus::ok, content};
      }
      held_begin_ = 0;
      held_end_ = content;
      return deliverHeld(plaintext);
    }
    // The body may be in held_: it is released only once it has been read.
    std::optional<TlsResult> result = handleControl(type, {out, content});
    releaseHeld();
    if (result) {
      return *result;
    }
  }
}

TlsResult RecordLayer::inputEnded() {
  if (handshake_size_ > 0) {
    return fail(SSL_AD_DECODE_ERROR, "peer sent a truncated TLS handshake message");
  }
  // RFC 8446 section 5.1 frames every record by its header, so the end of
  // the transport inside one is a truncated record, not a close: OpenSSL
  // 3.0 answers it with decode_error (SSL_R_UNEXPECTED_EOF_WHILE_READING).
  // Between records it is an end without close_notify (section 6.1).
  if (!in_->empty()) {
    return fail(SSL_AD_DECODE_ERROR, "peer closed the connection in the middle of a TLS record");
  }
  return {TlsStatus::end_of_stream, 0};
}

std::optional<TlsResult> RecordLayer::handleControl(int type, std::span<const std::byte> body) {
  switch (type) {
    case SSL3_RT_APPLICATION_DATA:
      // An empty record: read on, up to OpenSSL's bound (MAX_EMPTY_RECORDS).
      if (++empty_records_in_a_row_ > kMaxEmptyRecordsInARow) {
        return fail(SSL_AD_UNEXPECTED_MESSAGE, "peer sent too many empty TLS records in a row");
      }
      return std::nullopt;
    case SSL3_RT_ALERT:
      // RFC 8446 section 5.1: no zero-length Alert fragments. OpenSSL 3.0
      // answers one with unexpected_message (SSL_R_BAD_LENGTH).
      if (body.empty()) {
        return fail(SSL_AD_UNEXPECTED_MESSAGE, "peer sent an empty TLS alert record");
      }
      return handleAlert(body);
    case SSL3_RT_HANDSHAKE:
      // RFC 8446 section 5.1: no zero-length Handshake fragments either.
      if (body.empty()) {
        return fail(SSL_AD_UNEXPECTED_MESSAGE, "peer sent an empty TLS handshake record");
      }
      warning_alerts_in_a_row_ = 0;
      if (!handleHandshakeBytes(body)) {
        return TlsResult{TlsStatus::failed, 0};
      }
      return std::nullopt;
    default:
      // RFC 8446 section 5.4: this includes a record that is all padding.
      return fail(SSL_AD_UNEXPECTED_MESSAGE,
                  "peer sent an unexpected TLS record after the handshake" + contentTypeText(type));
  }
}

bool RecordLayer::openRecord(std::size_t length, std::byte* out, std::size_t& content, int& type) {
  std::array<std::byte, kHeaderSize> header{};
  in_->read(header);
  if (!read_cipher_.begin(header)) {
    return false;
  }
  // The body may span several queue chunks; the AEAD takes it piece by piece.
  const std::size_t body = length - kTagSize;
  for (std::size_t done = 0; done < body;) {
    std::span<const std::byte> piece = in_->front();
    const std::size_t n = std::min(piece.size(), body - done);
    if (!read_cipher_.update(piece.first(n), out + done)) {
      return false;
    }
    in_->consume(n);
    done += n;
  }
  std::array<std::byte, kTagSize> tag{};
  in_->read(tag);
  if (!read_cipher_.openTag(tag)) {
    return false;
  }
  // TLSInnerPlaintext: content, then the real content type, then zero padding.
  std::size_t end = body;
  while (end > 0 && out[end - 1] == std::byte{0}) {
    --end;
  }
  type = end > 0 ? std::to_integer<int>(out[end - 1]) : 0;
  content = end > 0 ? end - 1 : 0;
  return true;
}

TlsResult RecordLayer::write(std::span<const std::byte> plaintext) {
  std::size_t done = 0;
  while (done < plaintext.size()) {
    if (!keyUpdateIfDue()) {
      return fail(SSL_AD_INTERNAL_ERROR, "cannot move to our next traffic keys");
    }
    // A record as large as the output queue's chunk holds in one piece.
    std::span<std::byte> room = out_->prepare(kMaxPlaintext + kRecordOverhead);
    if (room.size() <= kRecordOverhead) {
      return fail(SSL_AD_INTERNAL_ERROR, "output buffer chunks are too small for TLS records");
    }
    const std::size_t n =
        std::min({plaintext.size() - done, kMaxPlaintext, room.size() - kRecordOverhead});
    if (!sealRecord(SSL3_RT_APPLICATION_DATA, plaintext.subspan(done, n))) {
      return fail(SSL_AD_INTERNAL_ERROR, "cannot encrypt a TLS record");
    }
    done += n;
  }
  return {TlsStatus::ok, done};
}

bool RecordLayer::sendCloseNotify() {
  if (close_sent_) {
    return true;
  }
  if (!keyUpdateIfDue()) {
    return false;
  }
  close_sent_ = true;
  const std::array<std::byte, 2> alert = {std::byte{SSL3_AL_WARNING},
                                          std::byte{SSL_AD_CLOSE_NOTIFY}};
  return sealRecord(SSL3_RT_ALERT, alert);
}

bool RecordLayer::keyUpdateIfDue() {
  // RFC 8446 section 5.5: well before the write key's limit (see
  // kKeyUpdateAfter); ChaCha20-Poly1305 has none.
  const bool key_worn =
      write_cipher_.recordLimit() != UINT64_MAX && write_cipher_.records() >= kKeyUpdateAfter;
  if (!key_update_owed_ && !key_worn) {
    return true;
  }
  // RFC 8446 section 4.6.3: ours goes under the old key, then we switch. It
  // never asks the peer to update in turn.
  const std::array<std::byte, kKeyUpdateSize> update = {std::byte{SSL3_MT_KEY_UPDATE}, std::byte{0},
                                                        std::byte{0}, std::byte{1},
                                                        std::byte{SSL_KEY_UPDATE_NOT_REQUESTED}};
  if (!sealRecord(SSL3_RT_HANDSHAKE, update) || !write_cipher_.advanceSecret()) {
    return false;
  }
  key_update_owed_ = false;
  return true;
}

bool RecordLayer::sealRecord(int type, std::span<const std::byte> content) {
  const std::size_t length = content.size() + 1 + kTagSize;
  const std::size_t total = kHeaderSize + length;
  std::span<std::byte> room = out_->prepare(total);
  if (room.size() < total) {
    return false;
  }
  const std::array<std::byte, kHeaderSize> header = {
      std::byte{SSL3_RT_APPLICATION_DATA}, std::byte{0x03}, std::byte{0x03},
      static_cast<std::byte>(length >> 8), static_cast<std::byte>(length & 0xff)};
  const std::array<std::byte, 1> inner_type = {static_cast<std::byte>(type)};
  std::copy(header.begin(), header.end(), room.begin());
  std::byte* body = room.data() + kHeaderSize;
  bool ok = write_cipher_.begin(header) && write_cipher_.update(content, body) &&
            write_cipher_.update(inner_type, body + content.size()) &&
            write_cipher_.sealTag(room.subspan(kHeaderSize + content.size() + 1).first<kTagSize>());
  if (!ok) {
    ERR_clear_error();
    out_->trimTail();
    return false;
  }
  out_->commit(total);
  return true;
}

std::optional<TlsResult> RecordLayer::handleAlert(std::span<const std::byte> body) {
  // RFC 8446 section 6: an alert is a level and a description, one per
  // record here. OpenSSL 3.0 answers any other length with
  // unexpected_message (SSL_R_INVALID_ALERT).
  if (body.size() != 2) {
    return fail(SSL_AD_UNEXPECTED_MESSAGE, "peer sent a malformed TLS alert");
  }
  const auto description = std::to_integer<int>(body[1]);
  if (description == SSL_AD_CLOSE_NOTIFY) {
    return TlsResult{TlsStatus::end_of_stream, 0};
  }
  if (description == SSL_AD_USER_CANCELLED) {
    // RFC 8446 section 6.1: a close_notify follows. Every other alert is
    // fatal in TLS 1.3, whatever its level says.
    if (++warning_alerts_in_a_row_ > kMaxWarningAlertsInARow) {
      return fail(SSL_AD_UNEXPECTED_MESSAGE, "peer sent too many warning alerts in a row");
    }
    return std::nullopt;
  }
  close_sent_ = true;  // no alert answers an alert
  failure_reason_ = describePeerAlert(description, Side::accept);
  return TlsResult{TlsStatus::failed, 0};
}

bool RecordLayer::handleHandshakeBytes(std::span<const std::byte> body) {
  for (std::size_t i = 0; i < body.size(); ++i) {
    handshake_[handshake_size_++] = body[i];
    if (handshake_size_ == 1 && body[i] != std::byte{SSL3_MT_KEY_UPDATE}) {
      fail(SSL_AD_UNEXPECTED_MESSAGE,
           "peer sent an unexpected TLS handshake message after the handshake");
      return false;
    }
    // RFC 8446 section 4.6.3: the body of a KeyUpdate is its one-byte
    // request_update, so its 24-bit length must be 1. OpenSSL 3.0 answers a
    // longer one with illegal_parameter, as a message above the most its
    // type may take (SSL_R_EXCESSIVE_MESSAGE_SIZE), and an empty one with
    // decode_error (SSL_R_BAD_KEY_UPDATE).
    if (handshake_size_ == 4) {
      const bool empty = handshake_[1] == std::byte{0} && handshake_[2] == std::byte{0} &&
                         handshake_[3] == std::byte{0};
      const bool one = handshake_[1] == std::byte{0} && handshake_[2] == std::byte{0} &&
                       handshake_[3] == std::byte{1};
      if (empty) {
        fail(SSL_AD_DECODE_ERROR, "peer sent an empty KeyUpdate");
        return false;
      }
      if (!one) {
        fail(SSL_AD_ILLEGAL_PARAMETER, "peer sent a KeyUpdate longer than one byte");
        return false;
      }
    }
    if (handshake_size_ < kKeyUpdateSize) {
      continue;
    }
    // RFC 8446 section 5.1: a KeyUpdate changes keys, so it must end its
    // record. OpenSSL 3.0 answers one that does not with unexpected_message
    // (SSL_R_NOT_ON_RECORD_BOUNDARY); so does a second one in the record.
    if (i + 1 != body.size()) {
      fail(SSL_AD_UNEXPECTED_MESSAGE, "peer sent a KeyUpdate that does not end its TLS record");
      return false;
    }
    handshake_size_ = 0;
    return handleKeyUpdate(handshake_[4]);
  }
  return true;
}

bool RecordLayer::handleKeyUpdate(std::byte request) {
  if (request != std::byte{SSL_KEY_UPDATE_NOT_REQUESTED} &&
      request != std::byte{SSL_KEY_UPDATE_REQUESTED}) {
    fail(SSL_AD_ILLEGAL_PARAMETER, "peer sent a malformed KeyUpdate");
    return false;
  }
  // See kMaxKeyUpdatesInARow; application data in between resets the count.
  if (++key_updates_in_a_row_ > kMaxKeyUpdatesInARow) {
    fail(SSL_AD_UNEXPECTED_MESSAGE, "peer sent too many KeyUpdates without application data");
    return false;
  }
  if (!read_cipher_.advanceSecret()) {
    fail(SSL_AD_INTERNAL_ERROR, "cannot derive the peer's next traffic keys");
    return false;
  }
  // RFC 8446 section 4.6.3: the answer goes "prior to sending its next
  // Application Data record", so it waits for our next write; however many
  // requests arrive before that, one KeyUpdate answers them all, as in
  // OpenSSL. A peer that asks without reading cannot make our output grow.
  if (request == std::byte{SSL_KEY_UPDATE_REQUESTED} && !close_sent_) {
    key_update_owed_ = true;
  }
  return true;
}

std::byte* RecordLayer::heldBuffer() {
  if (!held_) {
    held_ = std::make_unique_for_overwrite<std::byte[]>(kReadRoom);
  }
  return held_.get();
}

void RecordLayer::releaseHeld() {
  held_.reset();
  held_begin_ = 0;
  held_end_ = 0;
}

TlsResult RecordLayer::deliverHeld(std::span<std::byte> plaintext) {
  const std::size_t n = std::min(held_end_ - held_begin_, plaintext.size());
  std::memcpy(plaintext.data(), held_.get() + held_begin_, n);
  held_begin_ += n;
  if (held_begin_ == held_end_) {
    releaseHeld();
  }
  return {TlsStatus::ok, n};
}

TlsResult RecordLayer::fail(int alert, std::string reason) {
  if (!close_sent_) {
    close_sent_ = true;
    const std::array<std::byte, 2> fatal = {std::byte{SSL3_AL_FATAL},
                                            static_cast<std::byte>(alert)};
    sealRecord(SSL3_RT_ALERT, fatal);
  }
  failure_reason_ = std::move(reason);
  return {TlsStatus::failed, 0};
}

}  // namespace tlsgate
