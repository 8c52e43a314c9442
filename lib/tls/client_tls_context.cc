#include "tls/client_tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "tls/certificate_loader.h"
#include "tls/cipher_defaults.h"
#include "tls/openssl_callbacks.h"

namespace tlsgate {
namespace {

bool isIpAddress(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip == nullptr) {
    ERR_clear_error();
    return false;
  }
  ASN1_OCTET_STRING_free(ip);
  return true;
}

}  // namespace

std::shared_ptr<ClientTlsContext> ClientTlsContext::create(const ClientTlsConfig& config,
                                                           const std::string& default_servername) {
  std::shared_ptr<ClientTlsContext> context(new ClientTlsContext(config));
  context->newSslContext(TLS_client_method());
  context->loadCertificate();
  context->servername_ = config.servername.empty() ? default_servername : config.servername;
  if (config.verify) {
    context->verify_name_ = config.peer_name.empty() ? context->servername_ : config.peer_name;
  }
  if (isIpAddress(context->servername_)) {
    context->servername_.clear();  // RFC 6066: no IP addresses in SNI
  }
  context->openKeylogFile();
  SSL_CTX* ctx = context->native();
  context->loadTrustAnchors(ctx);
  context->applyVerifyPolicy(ctx);
  if (!context->alpnWire().empty()) {
    const std::string& wire = context->alpnWire();
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()));
  }
  // A client session has no use for its secrets but the key log file's.
  if (context->keylogFile() != nullptr) {
    installSecretTap(ctx);
  }
  context->applySessionPolicy(ctx);
  return context;
}

ClientTlsContext::ClientTlsContext(const ClientTlsConfig& config)
    : TlsContext(config, kDefaultCipherList), config_(config) {}

ClientTlsContext::~ClientTlsContext() {
  SSL_SESSION_free(last_session_);
}

std::string ClientTlsContext::peerRefusal(const PeerIdentity& identity) const {
  const std::vector<std::string>& pins = config().pin_sha256;
  if (pins.empty() || std::find(pins.begin(), pins.end(), identity.sha256) != pins.end()) {
    return {};
  }
  return "server certificate " + identity.subject + " (sha256 " + identity.sha256 +
         ") matches none of pin_sha256; if the backend's certificate was renewed, pin the new "
         "one (see sha256_hash in `tlsgate cert-info FILE`)";
}

void ClientTlsContext::prepareSession(SSL* ssl) const {
  SSL_set_connect_state(ssl);
  if (SSL_SESSION* previous = sessionToResume()) {
    SSL_set_session(ssl, previous);  // offered; the server decides whether it resumes
    SSL_SESSION_free(previous);
  }
  if (!servername_.empty()) {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is its body.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(servername_.c_str()));
  }
  if (verifiesPeer() && !verify_name_.empty()) {
    // SSL_set1_host matches DNS names and IP addresses alike.
    SSL_set1_host(ssl, verify_name_.c_str());
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
}

void ClientTlsContext::onHandshakeDone(SSL* ssl, bool resumed) const {
  TlsContext::onHandshakeDone(ssl, resumed);
  if (resumed && SSL_version(ssl) != TLS1_3_VERSION && config().session.resume) {
    // A TLS 1.2 server may renew the ticket of a resumed session, and OpenSSL
    // calls no new-session callback then: keep the renewed session ourselves.
    keepSession(SSL_get1_session(ssl));
  }
}

SSL_SESSION* ClientTlsContext::sessionToResume() const {
  std::lock_guard<std::mutex> lock(session_mutex_);
  if (last_session_ == nullptr || SSL_SESSION_is_resumable(last_session_) != 1) {
    return nullptr;
  }
  SSL_SESSION_up_ref(last_session_);
  return last_session_;
}

void ClientTlsContext::keepSession(SSL_SESSION* session) const {
  SSL_SESSION* previous = nullptr;
  {
    std::lock_guard<std::mutex> lock(session_mutex_);
    previous = last_session_;
    last_session_ = session;
  }
  SSL_SESSION_free(previous);
}

void ClientTlsContext::loadCertificate() {
  const ClientTlsConfig& config = this->config();
  if (!config.client_certificate) {
    return;
  }
  LoadedCertificate certificate = tlsgate::loadCertificate(*config.client_certificate);
  installCertificate(native(), certificate);
}

void ClientTlsContext::loadTrustAnchors(SSL_CTX* ctx) {
  const ClientTlsConfig& config = this->config();
  loadTrustStore(ctx, config.cafile, config.cadir, config.castore);
  if (config.cafile.value.empty() && config.cadir.value.empty() && config.castore.empty()) {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  ERR_clear_error();
}

void ClientTlsContext::applyVerifyPolicy(SSL_CTX* ctx) {
  const ClientTlsConfig& config = this->config();
  if (!config.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    spdlog::warn("{}: verify is false: the connect side accepts any server certificate",
                 config.mark.str());
    return;
  }
  installVerifyCallback(ctx, SSL_VERIFY_PEER);
  if (!config.pin_sha256.empty()) {
    installPeerRules(ctx, *this);
  }
}

void ClientTlsContext::applySessionPolicy(SSL_CTX* ctx) {
  if (!config().session.resume) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return;
  }
  // Keep only the newest session, ourselves, instead of OpenSSL's cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  installSessionKeeper(ctx);
}

}  // namespace tlsgate
