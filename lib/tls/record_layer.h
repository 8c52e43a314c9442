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
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tls/record_channel.h"
#include "tls/record_cipher.h"
#include "tls/tls_result.h"
#include "util/byte_queue.h"
#include "util/tls_record_size.h"

namespace tlsgate {

class TrafficSecrets;

// Records already protected under each application key, beyond those that
// TrafficSecrets counted: none in tlsgate; tests start near a limit.
struct PriorRecords {
  std::uint64_t read = 0;
  std::uint64_t written = 0;
};

class RecordLayer final : public RecordChannel {
 public:
  static constexpr std::size_t kMaxPlaintext = kMaxTlsPlaintext;
  static constexpr std::size_t kMaxCiphertext = kMaxTlsCiphertext;
  // The most a record's protected content can take once decrypted: read()
  // decrypts straight into a buffer this large.
  static constexpr std::size_t kReadRoom = kMaxCiphertext - RecordCipher::kTagSize;

  // RFC 8446 section 5.5: tlsgate moves to its next write key, with a
  // KeyUpdate of its own, once the current AES-GCM key has protected 2^23
  // records. That is a third of the way below the 2^24.5 limit, so no
  // pending write can take a key past it, and it costs one small record
  // per 128 GiB of full-size records.
  static constexpr std::uint64_t kKeyUpdateAfter = std::uint64_t{1} << 23;
  // KeyUpdates the peer may send in a row without application data between
  // them. A peer has no use for more than one or two (RFC 8446 section
  // 4.6.3); each costs two key derivations, so an unbounded run of them
  // would be CPU spent for nothing. 32 is OpenSSL's bound on empty records.
  static constexpr int kMaxKeyUpdatesInARow = 32;
  // OpenSSL's bounds, kept so that tlsgate takes what OpenSSL takes: at most
  // 32 empty records in a row (MAX_EMPTY_RECORDS), and 4 warning alerts in a
  // row (MAX_WARN_ALERT_COUNT: the fifth fails); in TLS 1.3 the only warning
  // alert that does not end the stream is user_canceled. One more than
  // these ends the connection.
  static constexpr int kMaxEmptyRecordsInARow = 32;
  static constexpr int kMaxWarningAlertsInARow = 4;

  // The server's side of the connection: it reads with the client's secret
  // and writes with its own, after the records OpenSSL already read and
  // wrote with them. nullptr when the suite is not supported, OpenSSL's
  // bytes end inside a record, or a KeyUpdate has spent the secrets.
  static std::unique_ptr<RecordLayer> create(const SSL_CIPHER* suite, const TrafficSecrets& secrets,
                                             ByteQueue& in, ByteQueue& out,
                                             PriorRecords before = {});
  ~RecordLayer() override;
  RecordLayer(const RecordLayer&) = delete;
  RecordLayer& operator=(const RecordLayer&) = delete;
  RecordLayer(RecordLayer&&) = delete;
  RecordLayer& operator=(RecordLayer&&) = delete;

  // Decrypts the next application data into `plaintext`, handling alerts and
  // KeyUpdate on the way. end_of_stream means close_notify arrived.
  TlsResult read(std::span<std::byte> plaintext) override;
  // The transport ended where read() wanted more input: end_of_stream, or a
  // failure when it cut a handshake message short.
  TlsResult inputEnded() override;
  // Encrypts all of `plaintext` into the output queue, after the KeyUpdate
  // the peer asked for, if it is still owed.
  TlsResult write(std::span<const std::byte> plaintext) override;
  // Sends close_notify (after an owed KeyUpdate).
  bool sendCloseNotify() override;
  // Why read() or write() failed.
  const std::string& failureReason() const override { return failure_reason_; }

 private:
  RecordLayer(ByteQueue& in, ByteQueue& out) : in_(&in), out_(&out) {}

  // Decrypts the record at the head of the input, whole, into `out`, and
  // returns the length of its content with the content type in `type`.
  bool openRecord(std::size_t length, std::byte* out, std::size_t& content, int& type);
  bool sealRecord(int type, std::span<const std::byte> content);
  // Alerts, handshake bytes and empty records: what read() handles itself.
  // Nothing, or the result read() returns.
  std::optional<TlsResult> handleControl(int type, std::span<const std::byte> body);
  std::optional<TlsResult> handleAlert(std::span<const std::byte> body);
  // A client may send only KeyUpdate after the handshake (tlsgate never
  // asks for post-handshake authentication), and may split it over records.
  bool handleHandshakeBytes(std::span<const std::byte> body);
  bool handleKeyUpdate(std::byte request);
  // Sends our KeyUpdate when the peer asked for one or the write key is
  // near its limit, and moves to the next write key.
  bool keyUpdateIfDue();
  std::byte* heldBuffer();
  void releaseHeld();
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
  // The peer asked for a KeyUpdate that we have not sent yet: one answers
  // any number of requests (RFC 8446 section 4.6.3).
  bool key_update_owed_ = false;
  int key_updates_in_a_row_ = 0;
  int empty_records_in_a_row_ = 0;
  int warning_alerts_in_a_row_ = 0;
  std::string failure_reason_;
};

}  // namespace tlsgate
