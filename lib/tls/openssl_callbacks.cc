#include "tls/openssl_callbacks.h"

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstddef>
#include <span>

#include "tls/client_tls_context.h"
#include "tls/peer_identity.h"
#include "tls/secret_tap.h"
#include "tls/server_tls_context.h"
#include "tls/tls_session_events.h"
#include "x509/certificate_info.h"

namespace tlsgate {
namespace {

int sessionIndex() {
  static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

int contextIndex() {
  static const int kIndex = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

SSL* sslOf(X509_STORE_CTX* store) {
  return static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
}

// SNI bytes are chosen by the client; keep log lines printable.
std::string printable(const char* name) {
  std::string out;
  for (const char* c = name; *c != '\0' && out.size() < 255; ++c) {
    const auto byte = static_cast<unsigned char>(*c);
    out.push_back(byte >= 0x20 && byte < 0x7F ? *c : '?');
  }
  return out;
}

// --- every side ---

// Also tells the session of a KeyUpdate: OpenSSL 3.0 reports it only as a
// state of its handshake state machine.
void infoCallback(const SSL* ssl, int where, int ret) {
  TlsSessionEvents* session = sessionEventsOf(ssl);
  if ((where & SSL_CB_LOOP) != 0 && session != nullptr) {
    const OSSL_HANDSHAKE_STATE state = SSL_get_state(ssl);
    if (state == TLS_ST_SR_KEY_UPDATE || state == TLS_ST_SW_KEY_UPDATE) {
      session->onKeyUpdate();
    }
  }
  if (!spdlog::should_log(spdlog::level::debug)) {
    return;
  }
  const std::string label = session != nullptr ? session->traceLabel() : std::string("tls");
  if ((where & SSL_CB_ALERT) != 0) {
    spdlog::debug("{} alert {}: {}", label, (where & SSL_CB_READ) != 0 ? "received" : "sent",
                  SSL_alert_desc_string_long(ret));
    return;
  }
  if ((where & SSL_CB_LOOP) != 0 || (where & SSL_CB_HANDSHAKE_START) != 0) {
    spdlog::debug("{} handshake: {}", label, SSL_state_string_long(ssl));
  }
}

void secretTapCallback(const SSL* ssl, const char* line) {
  const TlsContext* context = contextOf(ssl);
  const std::array<SecretTap*, 2> taps = {sessionEventsOf(ssl),
                                          context != nullptr ? context->keylogFile() : nullptr};
  tapSecret(line, taps);
}

int verifyCallback(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) {
    return 1;
  }
  if (TlsSessionEvents* session = sessionEventsOf(sslOf(store))) {
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    session->onVerifyFailure(X509_STORE_CTX_get_error_depth(store), X509_STORE_CTX_get_error(store),
                             cert != nullptr ? subjectOneLine(cert) : std::string());
  }
  return 0;
}

// Verifies the peer's chain as OpenSSL would, then applies tlsgate's rules
// to the verified leaf: client_certs.allow on the accept side, pin_sha256 on
// the connect side.
int verifyPeerCertificate(X509_STORE_CTX* store, void* arg) {
  if (X509_verify_cert(store) != 1) {
    return 0;
  }
  const auto* context = static_cast<const TlsContext*>(arg);
  const std::string refusal = context->peerRefusal(identityOf(X509_STORE_CTX_get0_cert(store)));
  if (refusal.empty()) {
    return 1;
  }
  if (TlsSessionEvents* session = sessionEventsOf(sslOf(store))) {
    session->onPolicyFailure(refusal);
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);  // sent as a bad_certificate alert
  return 0;
}

// --- the accept side ---

// Moves the connection to the SSL_CTX that serves the client's SNI (hitch's
// and stunnel's sni selection).
int selectCertificate(SSL* ssl, int* alert, void* arg) {
  const auto* context = static_cast<const ServerTlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) {
    return SSL_TLSEXT_ERR_OK;  // no SNI: the default certificate
  }
  SSL_CTX* chosen = context->contextFor(name);
  if (chosen == nullptr) {
    if (!context->rejectsUnknownNames()) {
      return SSL_TLSEXT_ERR_OK;
    }
    if (TlsSessionEvents* session = sessionEventsOf(ssl)) {
      session->onPolicyFailure("client asked for server name '" + printable(name) +
                               "', which no certificate of this listener serves "
                               "(sni: {unknown: reject})");
    }
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (chosen != SSL_get_SSL_CTX(ssl)) {
    SSL_set_SSL_CTX(ssl, chosen);
  }
  return SSL_TLSEXT_ERR_OK;
}

int selectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
               const unsigned char* in, unsigned int in_len, void* arg) {
  const auto* ours = static_cast<const std::string*>(arg);
  unsigned char* selected = nullptr;
  // Server preference order: our list first (TclTLS -alpn on a server socket).
  const int rc = SSL_select_next_proto(&selected, out_len,
                                       reinterpret_cast<const unsigned char*>(ours->data()),
                                       static_cast<unsigned int>(ours->size()), in, in_len);
  if (rc != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no overlap: go on without ALPN
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Staples the configured OCSP response when the client asks for one and the
// connection is served the certificate the response is about.
int stapleOcspResponse(SSL* ssl, void* arg) {
  const auto* context = static_cast<const ServerTlsContext*>(arg);
  const std::string& response = context->ocspResponse();
  if (response.empty() || SSL_get_certificate(ssl) != context->firstCertificate()) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(response.data(), response.size()));
  if (copy == nullptr) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  // The body of SSL_set_tlsext_status_ocsp_resp, a macro with a C cast; the
  // SSL takes ownership of `copy`.
  const auto length = static_cast<long>(response.size());  // NOLINT(google-runtime-int)
  SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_STATUS_REQ_OCSP_RESP, length, copy);
  return SSL_TLSEXT_ERR_OK;
}

int ticketKeyCallback(SSL* ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                      EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  // Installed only on a ServerTlsContext's SSL_CTXs.
  const auto* context = static_cast<const ServerTlsContext*>(contextOf(ssl));
  const TicketKeys* keys = context != nullptr ? context->ticketKeys() : nullptr;
  if (keys == nullptr) {
    return -1;
  }
  return keys->setUp(name, iv, cipher, mac, encrypt == 1);
}

// --- the connect side ---

int keepClientSession(SSL* ssl, SSL_SESSION* session) {
  // Installed only on a ClientTlsContext's SSL_CTX.
  const auto* context = static_cast<const ClientTlsContext*>(contextOf(ssl));
  if (context == nullptr) {
    return 0;
  }
  context->keepSession(session);
  return 1;  // we hold the reference now
}

// --- the ciphertext BIO ---

CiphertextPipe* pipeOf(BIO* bio) {
  return static_cast<CiphertextPipe*>(BIO_get_data(bio));
}

int pipeBioRead(BIO* bio, char* out, std::size_t size, std::size_t* read_bytes) {
  BIO_clear_retry_flags(bio);
  CiphertextPipe* pipe = pipeOf(bio);
  const std::size_t n = pipe->readCiphertext({reinterpret_cast<std::byte*>(out), size});
  *read_bytes = n;
  if (n > 0) {
    return 1;
  }
  if (!pipe->ciphertextEnded()) {
    BIO_set_retry_read(bio);
  }
  return 0;
}

int pipeBioWrite(BIO* bio, const char* in, std::size_t size, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  pipeOf(bio)->writeCiphertext({reinterpret_cast<const std::byte*>(in), size});
  *written = size;
  return 1;
}

long pipeBioCtrl(BIO* bio, int command, long /*num*/,  // NOLINT(google-runtime-int)
                 void* /*ptr*/) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(pipeOf(bio)->ciphertextPending());  // NOLINT(google-runtime-int)
    case BIO_CTRL_WPENDING:
      return 0;
    case BIO_CTRL_EOF:
      return pipeOf(bio)->ciphertextEnded() ? 1 : 0;
    default:
      return 0;
  }
}

int pipeBioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* pipeBioMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlsgate queue");
    BIO_meth_set_read_ex(m, pipeBioRead);
    BIO_meth_set_write_ex(m, pipeBioWrite);
    BIO_meth_set_ctrl(m, pipeBioCtrl);
    BIO_meth_set_create(m, pipeBioCreate);
    return m;
  }();
  return method;
}

}  // namespace

void attachContext(SSL_CTX* ctx, const TlsContext& context) {
  SSL_CTX_set_ex_data(ctx, contextIndex(), const_cast<TlsContext*>(&context));
}

const TlsContext* contextOf(const SSL* ssl) {
  return static_cast<const TlsContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), contextIndex()));
}

void attachSession(SSL* ssl, TlsSessionEvents& events) {
  SSL_set_ex_data(ssl, sessionIndex(), &events);
}

TlsSessionEvents* sessionEventsOf(const SSL* ssl) {
  return static_cast<TlsSessionEvents*>(SSL_get_ex_data(ssl, sessionIndex()));
}

BIO* newCiphertextBio(CiphertextPipe& pipe) {
  BIO* bio = BIO_new(pipeBioMethod());
  if (bio != nullptr) {
    BIO_set_data(bio, &pipe);
  }
  return bio;
}

void installInfoCallback(SSL_CTX* ctx) {
  SSL_CTX_set_info_callback(ctx, infoCallback);
}

void installSecretTap(SSL_CTX* ctx) {
  SSL_CTX_set_keylog_callback(ctx, secretTapCallback);
}

void installVerifyCallback(SSL_CTX* ctx, int mode) {
  SSL_CTX_set_verify(ctx, mode, verifyCallback);
}

void installPeerRules(SSL_CTX* ctx, const TlsContext& context) {
  SSL_CTX_set_cert_verify_callback(ctx, verifyPeerCertificate, const_cast<TlsContext*>(&context));
}

void installServernameCallback(SSL_CTX* ctx, const ServerTlsContext& context) {
  // The bodies of SSL_CTX_set_tlsext_servername_callback/_arg, which are
  // macros with C casts.
  SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                        reinterpret_cast<void (*)()>(selectCertificate));
  SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, const_cast<ServerTlsContext*>(&context));
}

void installAlpnSelect(SSL_CTX* ctx, const std::string& wire) {
  SSL_CTX_set_alpn_select_cb(ctx, selectAlpn, const_cast<std::string*>(&wire));
}

void installOcspStapling(SSL_CTX* ctx, const ServerTlsContext& context) {
  // The bodies of SSL_CTX_set_tlsext_status_cb/_arg, macros with C casts.
  SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB,
                        reinterpret_cast<void (*)()>(stapleOcspResponse));
  SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG, 0,
               const_cast<ServerTlsContext*>(&context));
}

void installTicketKeyCallback(SSL_CTX* ctx) {
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticketKeyCallback);
}

void installSessionKeeper(SSL_CTX* ctx) {
  SSL_CTX_sess_set_new_cb(ctx, keepClientSession);
}

}  // namespace tlsgate
