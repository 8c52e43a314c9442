// TLS 1.3 application traffic after the handshake, without an SSL object.
//
// Once a TLS 1.3 server handshake is complete, TlsSession hands the
// connection to a RecordLayer and frees its SSL: OpenSSL 3.0 keeps about
// 10 kB per SSL object, which would otherwise stay allocated for every idle
// connection. What is left of TLS 1.3 after the handshake is small and fully
// specified (RFC 8446, section 5): application data records, alerts, and
// KeyUpdate messages, each protected by the AEAD of RecordCipher.
//
// It also moves fewer bytes: records are decrypted from the input queue
// straight into the caller's buffer, and encrypted from the caller's bytes
// straight into the output queue.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "tls/record_cipher.h"
#include "tls/tls_context.h"
#include "tls/tls_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class TrafficSecrets;

class RecordLayer {
 public:
  static constexpr std::size_t kMaxPlaintext = std::size_t{1} << 14;
  static constexpr std::size_t kMaxCiphertext = kMaxPlaintext + 256;
  // The most a record's protected content can take once decrypted: read()
  // decrypts straight into a buffer this large.
  static constexpr std::size_t kReadRoom = kMaxCiphertext - RecordCipher::kTagSize;

  // The server's side of the connection: it reads with the client's secret
  // and writes with its own, after the records OpenSSL already wrote with
  // it. nullptr when the suite is not supported.
  static std::unique_ptr<RecordLayer> create(const SSL_CIPHER* suite, const TrafficSecrets& secrets,
                                             ByteQueue& in, ByteQueue& out);
  ~RecordLayer();
  RecordLayer(const RecordLayer&) = delete;
  RecordLayer& operator=(const RecordLayer&) = delete;
  RecordLayer(RecordLayer&&) = delete;
  RecordLayer& operator=(RecordLayer&&) = delete;

  // Decrypts the next application data into `plaintext`, handling alerts and
  // KeyUpdate on the way. end_of_stream means close_notify arrived.
  TlsResult read(std::span<std::byte> plaintext);
  // Encrypts all of `plaintext` into the output queue.
  TlsResult write(std::span<const std::byte> plaintext);
  // Sends close_notify.
  bool sendCloseNotify();
  // Why read() or write() failed.
  const std::string& failureReason() const { return failure_reason_; }

 private:
  RecordLayer(ByteQueue& in, ByteQueue& out) : in_(&in), out_(&out) {}

  // Decrypts the record at the head of the input, whole, into `out`, and
  // returns the length of its content with the content type in `type`.
  bool openRecord(std::size_t length, std::byte* out, std::size_t& content, int& type);
  bool sealRecord(int type, std::span<const std::byte> content);
  TlsResult handleAlert(std::span<const std::byte> body);
  // A client may send only KeyUpdate after the handshake (tlsgate never
  // asks for post-handshake authentication), and may split it over records.
  bool handleHandshakeBytes(std::span<const std::byte> body);
  bool handleKeyUpdate(std::byte request);
  std::byte* heldBuffer();
  TlsResult deliverHeld(std::span<std::byte> plaintext);
  // Sends a fatal alert and fails with `reason`.
  TlsResult fail(int alert, std::string reason);

  ByteQueue* in_;
  ByteQueue* out_;
  RecordCipher read_cipher_;
  RecordCipher write_cipher_;
  // Plaintext of a record that did not fit the caller's buffer; only a
  // caller with a buffer smaller than kReadRoom ever makes one.
  std::unique_ptr<std::byte[]> held_;
  std::size_t held_begin_ = 0;
  std::size_t held_end_ = 0;
  // A handshake message arriving in pieces: a KeyUpdate is 5 bytes.
  std::array<std::byte, 5> handshake_{};
  std::size_t handshake_size_ = 0;
  bool close_sent_ = false;
  std::string failure_reason_;
};

}  // namespace tlsgate
