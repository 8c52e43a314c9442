#include "tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "tls/certificate_loader.h"
#include "tls/cipher_defaults.h"
#include "tls/peer_identity.h"
#include "tls/tls_session.h"
#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"
#include "x509/certificate_info.h"
#include "x509/openssl_error.h"

namespace tlsgate {
namespace {

int protocolVersion(TlsProtocol protocol) {
  switch (protocol) {
    case TlsProtocol::tls1_0:
      return TLS1_VERSION;
    case TlsProtocol::tls1_1:
      return TLS1_1_VERSION;
    case TlsProtocol::tls1_2:
      return TLS1_2_VERSION;
    case TlsProtocol::tls1_3:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

bool isIpAddress(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip == nullptr) {
    ERR_clear_error();
    return false;
  }
  ASN1_OCTET_STRING_free(ip);
  return true;
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

TlsSession* sessionOf(const SSL* ssl) {
  return static_cast<TlsSession*>(SSL_get_ex_data(ssl, TlsContext::sessionIndex()));
}

const TlsContext* contextOf(const SSL* ssl) {
  return static_cast<const TlsContext*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TlsContext::contextIndex()));
}

// The servername callback: moves the connection to the SSL_CTX that serves
// the client's SNI (hitch's and stunnel's sni selection).
int selectCertificate(SSL* ssl, int* alert, void* arg) {
  const auto* context = static_cast<const TlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) {
    return SSL_TLSEXT_ERR_OK;  // no SNI: the default certificate
  }
  SSL_CTX* chosen = context->contextFor(name);
  if (chosen == nullptr) {
    if (!context->rejectsUnknownNames()) {
      return SSL_TLSEXT_ERR_OK;
    }
    if (TlsSession* session = sessionOf(ssl)) {
      session->recordPolicyFailure("client asked for server name '" + printable(name) +
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

int ticketKeyCallback(SSL* ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                      EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  const TlsContext* context = contextOf(ssl);
  const TicketKeys* keys = context != nullptr ? context->ticketKeys() : nullptr;
  if (keys == nullptr) {
    return -1;
  }
  return keys->setUp(name, iv, cipher, mac, encrypt == 1);
}

// Staples the configured OCSP response when the client asks for one and the
// connection is served the certificate the response is about.
int stapleOcspResponse(SSL* ssl, void* arg) {
  const auto* context = static_cast<const TlsContext*>(arg);
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

std::string readBinaryFile(const LocatedPath& path, const std::string& key) {
  FileContents file = readWholeFile(path.value);
  if (!file.ok()) {
    throw ConfigError(path.mark, key, "cannot read " + path.value + ": " + errnoText(file.error));
  }
  return std::move(file.bytes);
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
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (TlsSession* session = sessionOf(ssl)) {
    session->recordPolicyFailure(refusal);
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);  // sent as a bad_certificate alert
  return 0;
}

int keepClientSession(SSL* ssl, SSL_SESSION* session) {
  const TlsContext* context = contextOf(ssl);
  if (context == nullptr) {
    return 0;
  }
  context->keepSession(session);
  return 1;  // we hold the reference now
}

int verifyCallback(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) {
    return 1;
  }
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (TlsSession* session = sessionOf(ssl)) {
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    session->recordVerifyFailure(X509_STORE_CTX_get_error_depth(store),
                                 X509_STORE_CTX_get_error(store),
                                 cert != nullptr ? subjectOneLine(cert) : std::string());
  }
  return 0;
}

// TclTLS's -command "info" callback, as a debug-level trace.
void infoCallback(const SSL* ssl, int where, int ret) {
  if (!spdlog::should_log(spdlog::level::debug)) {
    return;
  }
  const TlsSession* session = sessionOf(ssl);
  const std::string label = session != nullptr ? session->label() : std::string("tls");
  if ((where & SSL_CB_ALERT) != 0) {
    spdlog::debug("{} alert {}: {}", label, (where & SSL_CB_READ) != 0 ? "received" : "sent",
                  SSL_alert_desc_string_long(ret));
    return;
  }
  if ((where & SSL_CB_LOOP) != 0 || (where & SSL_CB_HANDSHAKE_START) != 0) {
    spdlog::debug("{} handshake: {}", label, SSL_state_string_long(ssl));
  }
}

int selectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
               const unsigned char* in, unsigned int in_len, void* arg) {
  const auto* ours = static_cast<const std::string*>(arg);
  unsigned char* selected = nullptr;
  // Server preference order: our list first (TclTLS -alpn on a server socket).
  int rc = SSL_select_next_proto(&selected, out_len,
                                 reinterpret_cast<const unsigned char*>(ours->data()),
                                 static_cast<unsigned int>(ours->size()), in, in_len);
  if (rc != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no overlap: go on without ALPN
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Every server handshake passes its secrets here: a TLS 1.3 session takes its
// application traffic secrets (see traffic_secrets.h). They are written out
// only when a key log file is configured.
void keylogCallback(const SSL* ssl, const char* line) {
  if (auto* session = static_cast<TlsSession*>(SSL_get_ex_data(ssl, TlsContext::sessionIndex()))) {
    session->noteKeylogLine(line);
  }
  auto* file = static_cast<std::FILE*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (file == nullptr) {
    return;
  }
  std::fprintf(file, "%s\n", line);
  std::fflush(file);
}

}  // namespace

int TlsContext::sessionIndex() {
  static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

int TlsContext::contextIndex() {
  static const int kIndex = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

std::shared_ptr<TlsContext> TlsContext::create(const TlsConfig& config, Side side,
                                               const std::string& default_servername) {
  std::shared_ptr<TlsContext> context(new TlsContext(config, side));
  context->newSslContext();  // the default one
  if (side == Side::accept) {
    context->loadServerCertificates();
    context->loadServerExtras();
    if (!config.session.ticket_keys.value.empty()) {
      context->ticket_keys_ = TicketKeys::load(config.session.ticket_keys);
    }
  } else {
    context->loadClientCertificate();
    context->servername_ = config.servername.empty() ? default_servername : config.servername;
    context->verifies_peer_ = config.verify;
    if (config.verify) {
      context->verify_name_ = config.peer_name.empty() ? context->servername_ : config.peer_name;
    }
    if (isIpAddress(context->servername_)) {
      context->servername_.clear();  // RFC 6066: no IP addresses in SNI
    }
  }
  context->openKeylog();
  for (SSL_CTX* ctx : context->contexts_) {
    context->loadTrustAnchors(ctx);
    context->applyVerifyPolicy(ctx);
    context->applyAlpn(ctx);
    context->applyKeylog(ctx);
    if (side == Side::accept) {
      context->applyServerSessionPolicy(ctx);
      context->applyServerExtras(ctx);
    } else {
      context->applyClientSessionPolicy(ctx);
    }
  }
  if (side == Side::accept) {
    // The bodies of SSL_CTX_set_tlsext_servername_callback/_arg, which are
    // macros with C casts.
    SSL_CTX_callback_ctrl(context->native(), SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                          reinterpret_cast<void (*)()>(selectCertificate));
    SSL_CTX_ctrl(context->native(), SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, context.get());
  }
  return context;
}

TlsContext::TlsContext(const TlsConfig& config, Side side)
    : config_(config), side_(side), client_cert_policy_(config.client_certs.allow) {}

TlsContext::~TlsContext() {
  for (SSL_CTX* ctx : contexts_) {
    SSL_CTX_free(ctx);
  }
  SSL_SESSION_free(last_session_);
  if (keylog_ != nullptr) {
    std::fclose(keylog_);
  }
}

SSL_CTX* TlsContext::newSslContext() {
  SSL_CTX* ctx = SSL_CTX_new(side_ == Side::accept ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) {
    throw ConfigError(config_.mark, "tls", "cannot create a TLS context: " + takeOpensslError());
  }
  contexts_.push_back(ctx);
  SSL_CTX_set_ex_data(ctx, contextIndex(), this);
  SSL_CTX_set_info_callback(ctx, infoCallback);
  // Before the certificates, whose key sizes the security level judges.
  applyProtocolPolicy(ctx);
  return ctx;
}

SSL_CTX* TlsContext::contextFor(const std::string& servername) const {
  std::optional<std::size_t> group = sni_.select(servername);
  return group ? contexts_[*group] : nullptr;
}

std::string TlsContext::peerRefusal(const PeerIdentity& identity) const {
  if (side_ == Side::accept) {
    return client_cert_policy_.admits(identity) ? std::string()
                                                : ClientCertPolicy::refusal(identity);
  }
  const std::vector<std::string>& pins = config_.pin_sha256;
  if (pins.empty() || std::find(pins.begin(), pins.end(), identity.sha256) != pins.end()) {
    return {};
  }
  return "server certificate " + identity.subject + " (sha256 " + identity.sha256 +
         ") matches none of pin_sha256; if the backend's certificate was renewed, pin the new "
         "one (see sha256_hash in `tlsgate cert-info FILE`)";
}

const char* recordLayerDeclineName(RecordLayerDecline reason) {
  static constexpr std::array<const char*, kRecordLayerDeclineCount> kNames = {
      "pending_data",      "early_data", "max_fragment_length",
      "unsupported_suite", "no_secrets", "not_at_record_boundary",
      "key_setup"};
  return kNames.at(static_cast<std::size_t>(reason));
}

void TlsContext::noteHandshake(bool resumed) const {
  handshakes_.fetch_add(1, std::memory_order_relaxed);
  if (resumed) {
    resumptions_.fetch_add(1, std::memory_order_relaxed);
  }
}

SSL_SESSION* TlsContext::sessionToResume() const {
  std::lock_guard<std::mutex> lock(session_mutex_);
  if (last_session_ == nullptr || SSL_SESSION_is_resumable(last_session_) != 1) {
    return nullptr;
  }
  SSL_SESSION_up_ref(last_session_);
  return last_session_;
}

void TlsContext::keepSession(SSL_SESSION* session) const {
  SSL_SESSION* previous = nullptr;
  {
    std::lock_guard<std::mutex> lock(session_mutex_);
    previous = last_session_;
    last_session_ = session;
  }
  SSL_SESSION_free(previous);
}

void TlsContext::applyProtocolPolicy(SSL_CTX* ctx) {
  SSL_CTX_set_security_level(ctx, config_.security_level);
  auto [min_it, max_it] = std::minmax_element(
      config_.protocols.begin(), config_.protocols.end(),
      [](TlsProtocol a, TlsProtocol b) { return protocolVersion(a) < protocolVersion(b); });
  if (min_it == config_.protocols.end()) {
    throw ConfigError(config_.mark, "protocols", "no TLS version enabled");
  }
  SSL_CTX_set_min_proto_version(ctx, protocolVersion(*min_it));
  SSL_CTX_set_max_proto_version(ctx, protocolVersion(*max_it));
  // Versions between min and max that were left out of the list.
  const std::pair<TlsProtocol, uint64_t> gaps[] = {{TlsProtocol::tls1_1, SSL_OP_NO_TLSv1_1},
                                                   {TlsProtocol::tls1_2, SSL_OP_NO_TLSv1_2}};
  for (auto [protocol, option] : gaps) {
    if (std::find(config_.protocols.begin(), config_.protocols.end(), protocol) ==
        config_.protocols.end()) {
      SSL_CTX_set_options(ctx, option);
    }
  }

  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (side_ == Side::accept) {
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  // Give SSL's record buffers back while a connection is idle.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  const char* default_list =
      config_.dhparams.value.empty() ? kDefaultCipherList : kDefaultDheCipherList;
  const std::string& list = config_.cipher.empty() ? std::string(default_list) : config_.cipher;
  if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
    throw ConfigError(config_.mark, "cipher",
                      "no usable cipher in \"" + config_.cipher + "\": " + takeOpensslError() +
                          " (see `tlsgate ciphers tls1.2`)");
  }
  const std::string& suites =
      config_.ciphersuites.empty() ? std::string(kDefaultCiphersuites) : config_.ciphersuites;
  if (SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
    throw ConfigError(config_.mark, "ciphersuites",
                      "no usable TLS 1.3 suite in \"" + config_.ciphersuites +
                          "\": " + takeOpensslError() + " (see `tlsgate ciphers tls1.3`)");
  }
  if (!config_.groups.empty() && SSL_CTX_set1_groups_list(ctx, config_.groups.c_str()) != 1) {
    throw ConfigError(config_.mark, "groups",
                      "unknown group in \"" + config_.groups + "\": " + takeOpensslError());
  }
}

void TlsContext::loadServerCertificates() {
  if (config_.certificates.empty()) {
    throw ConfigError(config_.mark, "certificates", "a TLS accept side needs a certificate");
  }
  std::vector<LoadedCertificate> loaded;
  loaded.reserve(config_.certificates.size());
  for (const CertificateConfig& certificate : config_.certificates) {
    loaded.push_back(loadCertificate(certificate));
  }
  const std::vector<std::vector<const LoadedCertificate*>> groups = groupByNames(loaded);
  first_certificate_.reset(loaded.front().chain.front().get());
  X509_up_ref(first_certificate_.get());
  for (const LoadedCertificate& certificate : loaded) {
    X509* leaf = certificate.chain.front().get();
    served_.push_back({subjectOneLine(leaf), sha256Fingerprint(leaf), notAfterUnix(leaf)});
  }
  for (std::size_t index = 0; index < groups.size(); ++index) {
    SSL_CTX* ctx = index == 0 ? contexts_.front() : newSslContext();
    for (const LoadedCertificate* certificate : groups[index]) {
      installCertificate(ctx, *certificate);
    }
    sni_.add(groups[index].front()->names, index);
  }
}

void TlsContext::loadClientCertificate() {
  if (!config_.client_certificate) {
    return;
  }
  LoadedCertificate certificate = loadCertificate(*config_.client_certificate);
  installCertificate(contexts_.front(), certificate);
}

void TlsContext::loadTrustAnchors(SSL_CTX* ctx) {
  const ClientCertConfig& cc = config_.client_certs;
  const bool server = side_ == Side::accept;
  // A client_certs CA overrides the block's own on the accept side.
  const bool own =
      server && (!cc.cafile.value.empty() || !cc.cadir.value.empty() || !cc.castore.empty());
  const LocatedPath& cafile = own ? cc.cafile : config_.cafile;
  const LocatedPath& cadir = own ? cc.cadir : config_.cadir;
  const std::string& castore = own ? cc.castore : config_.castore;

  if (!cafile.value.empty()) {
    if (SSL_CTX_load_verify_file(ctx, cafile.value.c_str()) != 1) {
      throw ConfigError(
          cafile.mark, "cafile",
          "cannot load CA certificates from " + cafile.value + ": " + takeOpensslError());
    }
    if (server) {
      // Tell clients which CAs we accept, like TclTLS does with -cafile.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(cafile.value.c_str());
      if (names != nullptr) {
        SSL_CTX_set_client_CA_list(ctx, names);
      }
    }
  }
  if (!cadir.value.empty() && SSL_CTX_load_verify_dir(ctx, cadir.value.c_str()) != 1) {
    throw ConfigError(cadir.mark, "cadir",
                      "cannot use CA directory " + cadir.value + ": " + takeOpensslError());
  }
  if (!castore.empty() && SSL_CTX_load_verify_store(ctx, castore.c_str()) != 1) {
    throw ConfigError(config_.mark, "castore",
                      "cannot open CA store " + castore + ": " + takeOpensslError());
  }
  if (!server && cafile.value.empty() && cadir.value.empty() && castore.empty()) {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  if (server && !cc.crl.value.empty()) {
    loadCrl(ctx);
  }
  ERR_clear_error();
}

void TlsContext::loadServerExtras() {
  if (!config_.dhparams.value.empty()) {
    loadDhParams();
  }
  if (!config_.ocsp_staple.value.empty()) {
    loadOcspResponse();
  }
}

void TlsContext::loadDhParams() {
  const std::string pem = readBinaryFile(config_.dhparams, "dhparams");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  dh_params_.reset(PEM_read_bio_Parameters(bio.get(), nullptr));
  if (dh_params_ && EVP_PKEY_get_base_id(dh_params_.get()) == EVP_PKEY_DH) {
    return;
  }
  ERR_clear_error();
  throw ConfigError(config_.dhparams.mark, "dhparams",
                    config_.dhparams.value +
                        " holds no PEM DH parameters (make them with `openssl genpkey -genparam "
                        "-algorithm DH -pkeyopt dh_param:ffdhe2048`)");
}

void TlsContext::loadOcspResponse() {
  ocsp_response_ = readBinaryFile(config_.ocsp_staple, "ocsp_staple");
  const auto* der = reinterpret_cast<const unsigned char*>(ocsp_response_.data());
  const auto length = static_cast<long>(ocsp_response_.size());  // NOLINT(google-runtime-int)
  OCSP_RESPONSE* parsed = d2i_OCSP_RESPONSE(nullptr, &der, length);
  if (parsed != nullptr) {
    OCSP_RESPONSE_free(parsed);
    return;
  }
  ERR_clear_error();
  throw ConfigError(config_.ocsp_staple.mark, "ocsp_staple",
                    config_.ocsp_staple.value +
                        " is not a DER OCSP response (as `openssl ocsp -respout` writes)");
}

void TlsContext::applyServerExtras(SSL_CTX* ctx) {
  if (dh_params_) {
    EVP_PKEY_up_ref(dh_params_.get());
    SSL_CTX_set0_tmp_dh_pkey(ctx, dh_params_.get());  // takes the reference
  }
  if (!ocsp_response_.empty()) {
    // The bodies of SSL_CTX_set_tlsext_status_cb/_arg, macros with C casts.
    SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB,
                          reinterpret_cast<void (*)()>(stapleOcspResponse));
    SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG, 0, this);
  }
}

void TlsContext::loadCrl(SSL_CTX* ctx) {
  const LocatedPath& crl = config_.client_certs.crl;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
  int loaded =
      lookup != nullptr ? X509_load_crl_file(lookup, crl.value.c_str(), X509_FILETYPE_PEM) : 0;
  if (loaded <= 0 && lookup != nullptr) {
    ERR_clear_error();
    loaded = X509_load_crl_file(lookup, crl.value.c_str(), X509_FILETYPE_ASN1);
  }
  if (loaded <= 0) {
    throw ConfigError(crl.mark, "client_certs.crl",
                      "cannot load a CRL from " + crl.value + ": " + takeOpensslError() +
                          " (expected PEM or DER X509 CRLs)");
  }
  // The client's own certificate is checked; its CAs are trusted as configured.
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
}

void TlsContext::applyVerifyPolicy(SSL_CTX* ctx) {
  if (side_ == Side::connect) {
    SSL_CTX_set_verify(ctx, config_.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       config_.verify ? verifyCallback : nullptr);
    if (config_.verify && !config_.pin_sha256.empty()) {
      SSL_CTX_set_cert_verify_callback(ctx, verifyPeerCertificate, this);
    }
    if (!config_.verify) {
      spdlog::warn("{}: verify is false: the connect side accepts any server certificate",
                   config_.mark.str());
    }
    return;
  }
  if (config_.client_certs.mode != ClientCertMode::none &&
      !client_cert_policy_.admitsEveryVerifiedCertificate()) {
    SSL_CTX_set_cert_verify_callback(ctx, verifyPeerCertificate, this);
  }
  switch (config_.client_certs.mode) {
    case ClientCertMode::none:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      return;
    case ClientCertMode::request:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verifyCallback);
      break;
    case ClientCertMode::require:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verifyCallback);
      break;
  }
  SSL_CTX_set_verify_depth(ctx, config_.client_certs.verify_depth);
}

void TlsContext::applyAlpn(SSL_CTX* ctx) {
  if (alpn_wire_.empty()) {
    for (const std::string& protocol : config_.alpn) {
      alpn_wire_.push_back(static_cast<char>(protocol.size()));
      alpn_wire_ += protocol;
    }
  }
  if (alpn_wire_.empty()) {
    return;
  }
  if (side_ == Side::accept) {
    SSL_CTX_set_alpn_select_cb(ctx, selectAlpn, &alpn_wire_);
    return;
  }
  SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                          static_cast<unsigned int>(alpn_wire_.size()));
}

void TlsContext::openKeylog() {
  std::string path = config_.keylog.value;
  const char* env = std::getenv("SSLKEYLOGFILE");  // NOLINT(concurrency-mt-unsafe)
  if (path.empty() && env != nullptr && *env != '\0') {
    path = env;
  }
  if (path.empty()) {
    return;
  }
  // Key log files hold secrets: create them private to the owner.
  mode_t old_mask = ::umask(077);
  keylog_ = std::fopen(path.c_str(), "a");
  ::umask(old_mask);
  if (keylog_ == nullptr) {
    throw ConfigError(config_.keylog.mark, "keylog",
                      "cannot open key log " + path + ": " + errnoText(errno));
  }
  spdlog::warn(
      "{}: TLS session keys are being written to {}; anyone who can read it can "
      "decrypt this traffic",
      config_.mark.str(), path);
}

void TlsContext::applyKeylog(SSL_CTX* ctx) {
  if (keylog_ == nullptr && side_ != Side::accept) {
    return;
  }
  SSL_CTX_set_app_data(ctx, keylog_);
  SSL_CTX_set_keylog_callback(ctx, keylogCallback);
}

void TlsContext::applyServerSessionPolicy(SSL_CTX* ctx) {
  const std::array<unsigned char, 32> id_context = sessionIdContext();
  SSL_CTX_set_session_id_context(ctx, id_context.data(), id_context.size());
  const SessionConfig& session = config_.session;
  if (!session.tickets) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  // One TLS 1.3 ticket per handshake instead of OpenSSL's two: each costs a
  // ticket encryption, and a client resumes with only one at a time.
  const bool resumable = session.tickets || session.cache_size > 0;
  SSL_CTX_set_num_tickets(ctx, resumable ? 1 : 0);
  SSL_CTX_set_timeout(ctx,
                      std::chrono::duration_cast<std::chrono::seconds>(session.timeout).count());
  if (session.cache_size == 0) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  } else {
    SSL_CTX_sess_set_cache_size(
        ctx, static_cast<long>(session.cache_size));  // NOLINT(google-runtime-int)
  }
  if (ticket_keys_) {
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticketKeyCallback);
  }
}

// Sessions must not resume under another tls block's client-certificate
// policy, even when the blocks share a ticket key file; OpenSSL checks the
// id context on every resumption. It depends only on the configuration, so
// a restart with the same configuration and ticket keys still resumes.
std::array<unsigned char, 32> TlsContext::sessionIdContext() const {
  const ClientCertConfig& cc = config_.client_certs;
  std::string policy = "tlsgate\n" + sha256Fingerprint(first_certificate_.get());
  for (const std::string& part :
       {std::to_string(static_cast<int>(cc.mode)), cc.cafile.value, cc.cadir.value, cc.castore,
        config_.cafile.value, config_.cadir.value, config_.castore, cc.crl.value,
        std::to_string(cc.verify_depth)}) {
    policy += "\n" + part;
  }
  for (const auto* rules : {&cc.allow.subject_cn, &cc.allow.san_dns, &cc.allow.san_uri,
                            &cc.allow.san_ip, &cc.allow.sha256}) {
    policy += "\n[";
    for (const std::string& rule : *rules) {
      policy += rule + ",";
    }
  }
  std::array<unsigned char, 32> digest{};
  EVP_Digest(policy.data(), policy.size(), digest.data(), nullptr, EVP_sha256(), nullptr);
  return digest;
}

void TlsContext::applyClientSessionPolicy(SSL_CTX* ctx) {
  if (!config_.session.resume) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return;
  }
  // Keep only the newest session, ourselves, instead of OpenSSL's cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, keepClientSession);
}

}  // namespace tlsgate
