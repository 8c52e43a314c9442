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
#include "tls/record_cipher.h"
#include "tls/record_layer.h"
#include "tls/traffic_secrets.h"
#include "x509/certificate_info.h"

namespace tlsgate {
namespace {

std::string derOf(X509* cert) {
  if (cert == nullptr) {
    return {};
  }
  const int length = i2d_X509(cert, nullptr);
  if (length <= 0) {
    return {};
  }
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &out);
  return der;
}

}  // namespace

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
  if (context_->side() == Side::accept) {
    SSL_set_accept_state(ssl_);
    return;
  }
  SSL_set_connect_state(ssl_);
  if (SSL_SESSION* previous = context_->sessionToResume()) {
    SSL_set_session(ssl_, previous);  // offered; the server decides whether it resumes
    SSL_SESSION_free(previous);
  }
  if (!context_->servername().empty()) {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is its body.
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(context_->servername().c_str()));
  }
  if (context_->verifiesPeer() && !context_->verifyName().empty()) {
    // SSL_set1_host matches DNS names and IP addresses alike.
    SSL_set1_host(ssl_, context_->verifyName().c_str());
    SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
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
  if (records_) {
    return readRecords(plaintext);
  }
  ERR_clear_error();
  std::size_t n = 0;
  int size = static_cast<int>(std::min<std::size_t>(plaintext.size(), INT_MAX));
  if (SSL_read_ex(ssl_, plaintext.data(), static_cast<std::size_t>(size), &n) == 1) {
    return {TlsStatus::ok, n};
  }
  int error = SSL_get_error(ssl_, 0);
  switch (error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return {TlsStatus::want_input, 0};
    case SSL_ERROR_ZERO_RETURN:
      peer_closed_ = true;
      state_ = close_sent_ ? TlsState::closed : TlsState::closing;
      return {TlsStatus::end_of_stream, 0};
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL:
      if (isUnexpectedEof()) {
        ERR_clear_error();
        peer_closed_ = true;
        closed_without_notify_ = true;
        state_ = close_sent_ ? TlsState::closed : TlsState::closing;
        return {TlsStatus::end_of_stream, 0};
      }
      return failFromSsl(error);
    default:
      return failFromSsl(error);
  }
}

TlsResult TlsSession::readRecords(std::span<std::byte> plaintext) {
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
  fail("unexpected record layer state");
  return {TlsStatus::failed, 0};
}

bool TlsSession::isUnexpectedEof() const {
  unsigned long error = ERR_peek_error();
  return ciphertextEnded() &&
         (error == 0 || (ERR_GET_LIB(error) == ERR_LIB_SSL &&
                         ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING));
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
  if (records_) {
    TlsResult result = records_->write(plaintext);
    if (result.status == TlsStatus::failed) {
      fail(records_->failureReason());
    }
    return result;
  }
  ERR_clear_error();
  std::size_t n = 0;
  if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n) == 1) {
    return {TlsStatus::ok, n};
  }
  int error = SSL_get_error(ssl_, 0);
  switch (error) {
    case SSL_ERROR_WANT_READ:  // handshake not finished yet
    case SSL_ERROR_WANT_WRITE:
      return {TlsStatus::want_input, 0};
    case SSL_ERROR_ZERO_RETURN:
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL:
      return failFromSsl(error);
    default:
      return failFromSsl(error);
  }
}

TlsResult TlsSession::shutdown() {
  if (state_ == TlsState::failed) {
    return {TlsStatus::failed, 0};
  }
  if (close_sent_) {
    return {TlsStatus::ok, 0};
  }
  if (records_) {
    if (!records_->sendCloseNotify()) {
      fail(records_->failureReason().empty() ? "cannot send close_notify"
                                             : records_->failureReason());
      return {TlsStatus::failed, 0};
    }
    close_sent_ = true;
    state_ = peer_closed_ ? TlsState::closed : TlsState::closing;
    return {TlsStatus::ok, 0};
  }
  ERR_clear_error();
  // 0 means "sent, peer's not seen yet"; 1 means both done. Either way ours is out.
  int rc = SSL_shutdown(ssl_);
  if (rc < 0) {
    int error = SSL_get_error(ssl_, rc);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      return failFromSsl(error);
    }
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
  if (!policy_failure_.empty()) {
    ERR_clear_error();  // the queue only says a callback refused
    fail(policy_failure_);
    return {TlsStatus::failed, 0};
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
  fail(describeTlsFailure(context));
  return {TlsStatus::failed, 0};
}

void TlsSession::noteHandshakeDone() {
  state_ = TlsState::open;
  handshake_completed_ = true;
  context_->noteHandshake(resumed());
  if (side() == Side::connect && resumed() && SSL_version(ssl_) != TLS1_3_VERSION &&
      context_->config().session.resume) {
    // A TLS 1.2 server may renew the ticket of a resumed session, and OpenSSL
    // calls no new-session callback then: keep the renewed session ourselves.
    context_->keepSession(SSL_get1_session(ssl_));
  }
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{} handshake done: {} {} alpn={} resumed={}", label_, protocol(), cipher(),
                  alpn().empty() ? "-" : alpn(), resumed() ? "yes" : "no");
  }
  if (side() == Side::accept && SSL_version(ssl_) == TLS1_3_VERSION) {
    handOverToRecordLayer();
  }
  secrets_.reset();
}

// Frees the SSL once nothing but TLS 1.3 records is left for it to do. A
// session that OpenSSL still has business with keeps it: unread records in
// its buffer, accepted early data, a negotiated maximum fragment length.
void TlsSession::handOverToRecordLayer() {
  const SSL_CIPHER* suite = SSL_get_current_cipher(ssl_);
  std::optional<RecordLayerDecline> decline;
  if (SSL_has_pending(ssl_) == 1) {
    decline = RecordLayerDecline::pending_data;
  } else if (SSL_get_early_data_status(ssl_) == SSL_EARLY_DATA_ACCEPTED) {
    decline = RecordLayerDecline::early_data;
  } else if (SSL_SESSION_get_max_fragment_length(SSL_get_session(ssl_)) !=
             TLSEXT_max_fragment_length_DISABLED) {
    decline = RecordLayerDecline::max_fragment_length;
  } else if (!RecordCipher::supports(suite)) {
    decline = RecordLayerDecline::unsupported_suite;
  } else if (!secrets_ || !secrets_->complete()) {
    decline = RecordLayerDecline::no_secrets;
  } else if (!secrets_->atRecordBoundary()) {
    decline = RecordLayerDecline::not_at_record_boundary;
  }
  std::unique_ptr<RecordLayer> records;
  if (!decline) {
    records = RecordLayer::create(suite, *secrets_, *in_, *out_);
    if (!records) {
      decline = RecordLayerDecline::key_setup;
    }
  }
  if (decline) {
    context_->noteRecordLayerDeclined(*decline);
    spdlog::debug("{} stays with OpenSSL after the handshake: {}", label_,
                  recordLayerDeclineName(*decline));
    return;
  }
  cipher_name_ = SSL_CIPHER_get_name(suite);  // static storage in libssl
  alpn_ = alpn();
  servername_ = servername();
  resumed_ = resumed();
  if (X509* peer = SSL_get0_peer_certificate(ssl_)) {
    peer_ = std::make_unique<PeerIdentity>(identityOf(peer));
    // Kept for a PROXY v2 header that carries the client certificate.
    peer_der_ = derOf(peer);
  }
  // OpenSSL drops a session from its cache when its SSL is freed before a
  // shutdown; this one stays resumable.
  SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN);
  SSL_free(ssl_);
  ssl_ = nullptr;
  records_ = std::move(records);
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
  if (records_) {
    return "TLSv1.3";
  }
  return handshakeDone() ? SSL_get_version(ssl_) : std::string();
}

std::string TlsSession::cipher() const {
  if (records_) {
    return cipher_name_;
  }
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c != nullptr ? SSL_CIPHER_get_name(c) : std::string();
}

std::string TlsSession::alpn() const {
  if (records_) {
    return alpn_;
  }
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return {reinterpret_cast<const char*>(data), len};
}

std::string TlsSession::servername() const {
  if (records_) {
    return servername_;
  }
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : std::string();
}

bool TlsSession::resumed() const {
  if (records_) {
    return resumed_;
  }
  return SSL_session_reused(ssl_) == 1;
}

std::string TlsSession::peerSubject() const {
  if (records_) {
    return peer_ ? peer_->subject : std::string();
  }
  X509* peer = SSL_get0_peer_certificate(ssl_);
  return peer != nullptr ? subjectOneLine(peer) : std::string();
}

std::string TlsSession::peerCertificateDer() const {
  if (records_) {
    return peer_der_;
  }
  return derOf(SSL_get0_peer_certificate(ssl_));
}

PeerIdentity TlsSession::peerIdentity() const {
  if (records_) {
    return peer_ ? *peer_ : PeerIdentity();
  }
  return identityOf(SSL_get0_peer_certificate(ssl_));
}

}  // namespace tlsgate
