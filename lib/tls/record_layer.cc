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
                                                 ByteQueue& out) {
  if (!RecordCipher::supports(suite) || !secrets.complete() || !secrets.atRecordBoundary()) {
    return nullptr;
  }
  std::unique_ptr<RecordLayer> layer(new RecordLayer(in, out));
  if (!layer->read_cipher_.init(suite, secrets.client(), false) ||
      !layer->write_cipher_.init(suite, secrets.server(), true, secrets.serverRecordsSent())) {
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
    std::span<const std::byte> body(out, content);
    switch (type) {
      case SSL3_RT_APPLICATION_DATA:
        if (content == 0) {
          held_.reset();
          break;  // an empty record: read on
        }
        if (out != plaintext.data()) {
          held_begin_ = 0;
          held_end_ = content;
          return deliverHeld(plaintext);
        }
        return {TlsStatus::ok, content};
      case SSL3_RT_ALERT: {
        held_.reset();
        TlsResult result = handleAlert(body);
        if (result.status != TlsStatus::ok) {
          return result;
        }
        break;
      }
      case SSL3_RT_HANDSHAKE:
        if (!handleHandshakeBytes(body)) {
          return {TlsStatus::failed, 0};
        }
        held_.reset();
        break;
      default:
        return fail(
            SSL_AD_UNEXPECTED_MESSAGE,
            "peer sent an unexpected TLS record after the handshake" + contentTypeText(type));
    }
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
  close_sent_ = true;
  const std::array<std::byte, 2> alert = {std::byte{SSL3_AL_WARNING},
                                          std::byte{SSL_AD_CLOSE_NOTIFY}};
  return sealRecord(SSL3_RT_ALERT, alert);
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

TlsResult RecordLayer::handleAlert(std::span<const std::byte> body) {
  if (body.size() != 2) {
    return fail(SSL_AD_DECODE_ERROR, "peer sent a malformed TLS alert");
  }
  const auto description = std::to_integer<int>(body[1]);
  if (description == SSL_AD_CLOSE_NOTIFY) {
    return {TlsStatus::end_of_stream, 0};
  }
  if (description == SSL_AD_USER_CANCELLED) {
    return {TlsStatus::ok, 0};  // a close_notify follows
  }
  close_sent_ = true;  // no alert answers an alert
  failure_reason_ = describePeerAlert(description, TlsRole::server);
  return {TlsStatus::failed, 0};
}

bool RecordLayer::handleHandshakeBytes(std::span<const std::byte> body) {
  for (std::size_t i = 0; i < body.size(); ++i) {
    handshake_[handshake_size_++] = body[i];
    if (handshake_size_ == 1 && body[i] != std::byte{SSL3_MT_KEY_UPDATE}) {
      fail(SSL_AD_UNEXPECTED_MESSAGE,
           "peer sent an unexpected TLS handshake message after the handshake");
      return false;
    }
    if (handshake_size_ < kKeyUpdateSize) {
      continue;
    }
    // A KeyUpdate changes keys, so it must end its record (RFC 8446, 5.1).
    if (handshake_[1] != std::byte{0} || handshake_[2] != std::byte{0} ||
        handshake_[3] != std::byte{1} || i + 1 != body.size()) {
      fail(SSL_AD_DECODE_ERROR, "peer sent a malformed KeyUpdate");
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
  if (!read_cipher_.advanceSecret()) {
    fail(SSL_AD_INTERNAL_ERROR, "cannot derive the peer's next traffic keys");
    return false;
  }
  if (request == std::byte{SSL_KEY_UPDATE_REQUESTED} && !close_sent_) {
    // Answer with our own KeyUpdate, under the old keys, then switch.
    const std::array<std::byte, kKeyUpdateSize> reply = {std::byte{SSL3_MT_KEY_UPDATE},
                                                         std::byte{0}, std::byte{0}, std::byte{1},
                                                         std::byte{SSL_KEY_UPDATE_NOT_REQUESTED}};
    if (!sealRecord(SSL3_RT_HANDSHAKE, reply) || !write_cipher_.advanceSecret()) {
      fail(SSL_AD_INTERNAL_ERROR, "cannot move to our next traffic keys");
      return false;
    }
  }
  return true;
}

std::byte* RecordLayer::heldBuffer() {
  if (!held_) {
    held_ = std::make_unique_for_overwrite<std::byte[]>(kReadRoom);
  }
  return held_.get();
}

TlsResult RecordLayer::deliverHeld(std::span<std::byte> plaintext) {
  const std::size_t n = std::min(held_end_ - held_begin_, plaintext.size());
  std::memcpy(plaintext.data(), held_.get() + held_begin_, n);
  held_begin_ += n;
  if (held_begin_ == held_end_) {
    held_.reset();
    held_begin_ = 0;
    held_end_ = 0;
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
