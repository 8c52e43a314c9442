// TlsSession drives one SSL object for one connection side, entirely in
// memory.
//
// Ciphertext comes in through `ciphertext_in` and goes out through
// `ciphertext_out`, two ByteQueues that the owner moves to and from the
// network (or, in tests, to and from another TlsSession). A custom BIO reads
// and writes those queues directly, so no bytes are copied into OpenSSL's
// memory BIOs and nothing here knows about sockets or libuv.
//
// Output never blocks: everything OpenSSL writes lands in `ciphertext_out`.
// The owner keeps that bounded by not feeding more plaintext while the queue
// is above its watermark. After every call the owner flushes
// `ciphertext_out` before reading again.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tls/handshake_summary.h"
#include "tls/peer_identity.h"
#include "tls/record_channel.h"
#include "tls/record_layer_decline.h"
#include "tls/tls_context.h"
#include "tls/tls_result.h"
#include "tls/tls_session_events.h"
#include "util/byte_queue.h"
#include "util/tls_record_size.h"

namespace tlsgate {

// TWAPI's tls_state words: NEGOTIATING, OPEN, CLOSING; plus the end states.
enum class TlsState { handshaking, open, closing, closed, failed };

// The first certificate that failed verification.
struct VerifyFailure {
  int depth = -1;
  int error = 0;  // X509_V_ERR_*
  std::string subject;
};

class TrafficSecrets;

// TlsSession is the TlsSessionEvents and the CiphertextPipe of its own SSL;
// only the callbacks see those sides of it.
class TlsSession final : private TlsSessionEvents, private CiphertextPipe {
 public:
  // read() decrypts straight into `plaintext`, without a copy, when it has
  // room for a whole record (OpenSSL's read buffer takes a whole protected
  // record's body).
  static constexpr std::size_t kReadRoom = kMaxTlsCiphertext;

  // `label` prefixes the handshake trace at debug level (e.g. "conn=7 accept").
  static std::unique_ptr<TlsSession> create(std::shared_ptr<const TlsContext> context,
                                            ByteQueue& ciphertext_in, ByteQueue& ciphertext_out,
                                            std::string label = {});
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;
  TlsSession(TlsSession&&) = delete;
  TlsSession& operator=(TlsSession&&) = delete;
  ~TlsSession() override;

  // Advances the handshake. ok once it is complete.
  TlsResult handshake();
  // Decrypts into `plaintext`. Runs the handshake first if needed.
  TlsResult read(std::span<std::byte> plaintext);
  // Encrypts all of `plaintext` into ciphertext_out.
  TlsResult write(std::span<const std::byte> plaintext);
  // Sends close_notify once (tls_close CHAN write). Reading may go on.
  TlsResult shutdown();
  // The transport delivered its end of stream: no more ciphertext will come.
  void setInputEnded() { input_ended_ = true; }
  // Marks the session failed with an explanation from outside TLS (a timeout).
  void fail(std::string reason);

  TlsState state() const { return state_; }
  bool handshakeDone() const { return handshake_completed_; }
  bool peerClosed() const { return peer_closed_; }
  bool closeSent() const { return close_sent_; }
  // The transport ended after the handshake without a close_notify. read()
  // reports it as end_of_stream, as most TLS stacks do.
  bool closedWithoutNotify() const { return closed_without_notify_; }
  // A TLS 1.3 accept-side session can hand its traffic over to tlsgate's
  // record layer and free the SSL object (see record_layer.h); its owner
  // picks the moment (the connection waits limits.record_layer_after), so
  // that a short connection never pays for the record layer's keys.
  // mayHandOver(): a hand-over can still happen. handOver(): true once the
  // record layer has taken over; false when it has to wait (OpenSSL holds
  // part of a record: try again later) or never can (mayHandOver() turns
  // false, and the reason is logged and counted).
  bool mayHandOver() const { return secrets_ != nullptr; }
  bool handOver();
  // The owner will never hand over: the secrets are wiped now.
  void stayWithOpenSsl();
  bool usesRecordLayer() const { return ssl_ == nullptr; }
  const std::string& failureReason() const { return failure_reason_; }
  Side side() const { return context_->side(); }
  const TlsContext& context() const { return *context_; }

  // The tls::status / tls::connection fields, from the handshake summary:
  // empty until the handshake is done, except servername().
  const HandshakeSummary& handshakeSummary() const { return summary_; }
  std::string protocol() const;  // "TLSv1.3"
  std::string cipher() const;
  std::string alpn() const;
  std::string servername() const;  // SNI sent (client) or received (server)
  bool resumed() const;
  std::string peerSubject() const;  // empty without a peer certificate
  // The peer certificate's subject, names and SHA-256; empty without one.
  PeerIdentity peerIdentity() const;
  // The peer's certificate in DER; empty without one.
  std::string peerCertificateDer() const;

  const std::string& label() const { return label_; }

 private:
  // TlsSessionEvents
  void onSecret(const DerivedSecret& secret) override;
  void onVerifyFailure(int depth, int error, std::string subject) override;
  void onPolicyFailure(std::string reason) override;
  void onKeyUpdate() override;
  const std::string& traceLabel() const override { return label_; }
  // CiphertextPipe
  std::size_t readCiphertext(std::span<std::byte> out) override;
  void writeCiphertext(std::span<const std::byte> in) override;
  bool ciphertextEnded() const override { return input_ended_ && in_->empty(); }
  std::size_t ciphertextPending() const override { return in_->size(); }

  TlsSession(std::shared_ptr<const TlsContext> context, SSL* ssl, ByteQueue& in, ByteQueue& out,
             std::string label);
  TlsResult failFromSsl(int ssl_error);
  // The failure reason of a failed SSL call (failure_reason.h).
  std::string describeSslFailure(int ssl_error) const;
  void noteHandshakeDone();
  // Why the record layer cannot take over now, if it cannot; `wait` when
  // it may later.
  std::optional<RecordLayerDecline> handOverDecline(bool& wait) const;

  std::shared_ptr<const TlsContext> context_;
  SSL* ssl_;  // null once the record layer has taken over
  ByteQueue* in_;
  ByteQueue* out_;
  std::string label_;
  TlsState state_ = TlsState::handshaking;
  bool handshake_completed_ = false;
  bool input_ended_ = false;
  bool peer_closed_ = false;
  bool close_sent_ = false;
  bool closed_without_notify_ = false;
  VerifyFailure verify_failure_;
  std::string policy_failure_;
  std::string failure_reason_;
  // Set from the first key log line of a TLS 1.3 accept side until the
  // hand-over, or until it is certain that none will happen.
  std::unique_ptr<TrafficSecrets> secrets_;
  // OpenSslRecords on ssl_, or after a hand-over the RecordLayer.
  std::unique_ptr<RecordChannel> records_;
  HandshakeSummary summary_;
  // The first bytes the peer sent, for the failure reason (failure_reason.h).
  std::array<std::byte, 16> first_input_{};
  std::size_t first_input_size_ = 0;
};

}  // namespace tlsgate
