#include "tls/tls_session.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <utility>

#include "tls/failure_reason.h"
#include "tls/openssl_callbacks.h"
#include "tls/openssl_records.h"
#include "tls/record_cipher.h"
#include "tls/record_layer.h"
#include "tls/server_tls_context.h"
#include "tls/traffic_secrets.h"
#include "x509/certificate_info.h"

namespace tlsgate {
std::unique_ptr<TlsSession> TlsSession::create(std::shared_ptr<const TlsContext> context,
                                               ByteQueue& ciphertext_in, ByteQueue& ciphertext_out,
                                               std::string label) {
  SSL* ssl = SSL_new(context->native());
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  std::unique_ptr<TlsSession> session(
      new TlsSession(std::move(context), ssl, ciphertext_in, ciphertext_out, std::move(label)));
  // A CiphertextPipe and a RecordChannel of the session's own, which only
  // the session can hand out.
  const CiphertextPipe& pipe = *session;
  session->records_ = std::make_unique<OpenSslRecords>(
      ssl, pipe, [raw = session.get()](int error) { return raw->describeSslFailure(error); });
  BIO* bio = newCiphertextBio(*session);
  if (bio == nullptr) {
    ERR_clear_error();
    return nullptr;  // the session frees the SSL
  }
  SSL_set_bio(ssl, bio, bio);  // one BIO both ways; the SSL owns it
  return session;
}

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, SSL* ssl, ByteQueue& in,
                       ByteQueue& out, std::string label)
    : context_(std::move(context)), ssl_(ssl), in_(&in), out_(&out), label_(std::move(label)) {
  attachSession(ssl_, *this);
  context_->prepareSession(ssl_);
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

// Only a TLS 1.3 server session hands over to the record layer, and only
// the handshake's secrets are of use to it.
void TlsSession::onSecret(const DerivedSecret& secret) {
  if (side() != Side::accept || handshake_completed_) {
    return;
  }
  if (!secrets_) {
    secrets_ = std::make_unique<TrafficSecrets>();
  }
  secrets_->onSecret(secret);
}

std::size_t TlsSession::readCiphertext(std::span<std::byte> out) {
  const std::size_t n = in_->read(out);
  if (secrets_ && handshake_completed_) {
    secrets_->noteClientInput(out.first(n));
  }
  if (first_input_size_ < first_input_.size()) {
    const std::size_t kept = std::min(n, first_input_.size() - first_input_size_);
    std::copy_n(out.begin(), kept, first_input_.begin() + first_input_size_);
    first_input_size_ += kept;
  }
  return n;
}

void TlsSession::writeCiphertext(std::span<const std::byte> in) {
  out_->append(in);
  if (secrets_) {
    secrets_->noteServerOutput(in);
  }
}

TlsResult TlsSession::handshake() {
  if (state_ == TlsState::failed) {
    return {TlsStatus::failed, 0};
  }
  if (handshake_completed_) {
    return {TlsStatus::ok, 0};
  }
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    noteHandshakeDone();
    return {TlsStatus::ok, 0};
  }
  int error = SSL_get_error(ssl_, rc);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return {TlsStatus::want_input, 0};
    case SSL_ERROR_WANT_WRITE:  // our BIO never blocks on output; treat like read
      return {TlsStatus::want_input, 0};
    case SSL_ERROR_ZERO_RETURN:
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL:
      return failFromSsl(error);
    default:
      return failFromSsl(error);
  }
}

TlsResult TlsSession::read(std::span<std::byte> plaintext) {
  if (state_ == TlsState::failed) {
    return {TlsStatus::failed, 0};
  }
  if (peer_closed_) {
    return {TlsStatus::end_of_stream, 0};
  }
  if (!handshake_completed_) {
    TlsResult result = handshake();
    if (result.status != TlsStatus::ok) {
      return result;
    }
  }
  TlsResult result = records_->read(plaintext);
  if (result.status == TlsStatus::want_input && input_ended_) {
    // The transport ended, at a record boundary or inside a record: an
    // unclean close, unless it cut a handshake message short.
    result = records_->inputEnded();
    closed_without_notify_ = result.status == TlsStatus::end_of_stream;
  }
  switch (result.status) {
    case TlsStatus::ok:
    case TlsStatus::want_input:
      return result;
    case TlsStatus::end_of_stream:
      peer_closed_ = true;
      state_ = close_sent_ ? TlsState::closed : TlsState::closing;
      return {TlsStatus::end_of_stream, 0};
    case TlsStatus::failed:
      fail(records_->failureReason());
      return result;
  }
  fail("unexpected record channel state");
  return {TlsStatus::failed, 0};
}

TlsResult TlsSession::write(std::span<const std::byte> plaintext) {
  if (state_ == TlsState::failed) {
    return {TlsStatus::failed, 0};
  }
  if (close_sent_) {
    fail("write after close_notify");
    return {TlsStatus::failed, 0};
  }
  if (plaintext.empty()) {
    return {TlsStatus::ok, 0};
  }
  TlsResult result = records_->write(plaintext);
  if (result.status == TlsStatus::failed) {
    fail(records_->failureReason());
  }
  return result;
}

TlsResult TlsSession::shutdown() {
  if (state_ == TlsState::failed) {
    return {TlsStatus::failed, 0};
  }
  if (close_sent_) {
    return {TlsStatus::ok, 0};
  }
  if (!records_->sendCloseNotify()) {
    fail(records_->failureReason().empty() ? "cannot send close_notify"
                                           : records_->failureReason());
    return {TlsStatus::failed, 0};
  }
  close_sent_ = true;
  state_ = peer_closed_ ? TlsState::closed : TlsState::closing;
  return {TlsStatus::ok, 0};
}

void TlsSession::fail(std::string reason) {
  if (state_ == TlsState::failed) {
    return;
  }
  state_ = TlsState::failed;
  failure_reason_ = std::move(reason);
}

TlsResult TlsSession::failFromSsl(int ssl_error) {
  fail(describeSslFailure(ssl_error));
  return {TlsStatus::failed, 0};
}

std::string TlsSession::describeSslFailure(int ssl_error) const {
  if (!policy_failure_.empty()) {
    ERR_clear_error();  // the queue only says a callback refused
    return policy_failure_;
  }
  FailureContext context;
  context.side = side();
  context.ssl_error = ssl_error;
  context.handshake_done = handshake_completed_;
  context.input_ended = input_ended_;
  context.verify = &verify_failure_;
  // OpenSSL stops after the five bytes of a record header; what follows
  // them is still queued.
  std::array<std::byte, 16> first = first_input_;
  const std::size_t queued =
      in_->peek(std::span(first).subspan(first_input_size_)) + first_input_size_;
  context.first_bytes = std::span(first).first(queued);
  return describeTlsFailure(context);
}

void TlsSession::noteHandshakeDone() {
  state_ = TlsState::open;
  handshake_completed_ = true;
  summary_ = summarizeHandshake(ssl_);
  context_->onHandshakeDone(ssl_, summary_.resumed);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{} handshake done: {} {} alpn={} resumed={}", label_, protocol(), cipher(),
                  alpn().empty() ? "-" : alpn(), resumed() ? "yes" : "no");
  }
  if (side() != Side::accept || SSL_version(ssl_) != TLS1_3_VERSION) {
    secrets_.reset();
  }
}

// Frees the SSL once nothing but TLS 1.3 records is left for it to do. A
// session that OpenSSL still has business with keeps it: accepted early
// data, a negotiated maximum fragment length, a KeyUpdate that moved
// OpenSSL's keys past the ones tlsgate knows. One that holds part of a
// record, or records not yet delivered, waits for the next try.
bool TlsSession::handOver() {
  if (!secrets_) {
    return false;
  }
  if (state_ != TlsState::open) {
    secrets_.reset();  // closing or failed: not worth the keys
    return false;
  }
  bool wait = false;
  std::optional<RecordLayerDecline> decline = handOverDecline(wait);
  if (wait) {
    return false;
  }
  std::unique_ptr<RecordLayer> records;
  if (!decline) {
    records = RecordLayer::create(SSL_get_current_cipher(ssl_), *secrets_, *in_, *out_);
    if (!records) {
      decline = RecordLayerDecline::key_setup;
    }
  }
  secrets_.reset();
  // Only an accept side's session has secrets.
  const auto& context = static_cast<const ServerTlsContext&>(*context_);
  if (decline) {
    context.noteRecordLayerDeclined(*decline);
    spdlog::debug("{} stays with OpenSSL: {}", label_, recordLayerDeclineName(*decline));
    return false;
  }
  context.noteRecordLayerHandOver();
  records_ = std::move(records);
  // OpenSSL drops a session from its cache when its SSL is freed before a
  // shutdown; this one stays resumable.
  SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN);
  SSL_free(ssl_);
  ssl_ = nullptr;
  return true;
}

std::optional<RecordLayerDecline> TlsSession::handOverDecline(bool& wait) const {
  if (SSL_get_early_data_status(ssl_) == SSL_EARLY_DATA_ACCEPTED) {
    return RecordLayerDecline::early_data;
  }
  if (SSL_SESSION_get_max_fragment_length(SSL_get_session(ssl_)) !=
      TLSEXT_max_fragment_length_DISABLED) {
    return RecordLayerDecline::max_fragment_length;
  }
  if (!RecordCipher::supports(SSL_get_current_cipher(ssl_))) {
    return RecordLayerDecline::unsupported_suite;
  }
  if (!secrets_->complete()) {
    return RecordLayerDecline::no_secrets;
  }
  if (secrets_->keyUpdated()) {
    return RecordLayerDecline::key_update;
  }
  wait = SSL_has_pending(ssl_) == 1 || !secrets_->atRecordBoundary();
  return std::nullopt;
}

void TlsSession::stayWithOpenSsl() {
  secrets_.reset();
}

void TlsSession::onKeyUpdate() {
  if (secrets_) {
    secrets_->noteKeyUpdate();
  }
}

void TlsSession::onVerifyFailure(int depth, int error, std::string subject) {
  if (verify_failure_.error != 0) {
    return;  // keep the first
  }
  verify_failure_ = {depth, error, std::move(subject)};
}

void TlsSession::onPolicyFailure(std::string reason) {
  if (policy_failure_.empty()) {
    policy_failure_ = std::move(reason);
  }
}

std::string TlsSession::protocol() const {
  return summary_.protocol;
}

std::string TlsSession::cipher() const {
  return summary_.cipher;
}

std::string TlsSession::alpn() const {
  return summary_.alpn;
}

// The accept side knows the client's SNI before the handshake is done, and a
// failed handshake's log line names it.
std::string TlsSession::servername() const {
  if (handshake_completed_) {
    return summary_.servername;
  }
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : std::string();
}

bool TlsSession::resumed() const {
  return summary_.resumed;
}

std::string TlsSession::peerSubject() const {
  return summary_.peer.subject;
}

std::string TlsSession::peerCertificateDer() const {
  return summary_.peer_der;
}

PeerIdentity TlsSession::peerIdentity() const {
  return summary_.peer;
}

}  // namespace tlsgate
