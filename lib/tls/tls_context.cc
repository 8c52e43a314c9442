#include "tls/tls_context.h"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tls/tls_session.h"
#include "util/config_error.h"
#include "x509/certificate_info.h"

namespace tlsgate {
namespace {

std::string opensslError() {
  unsigned long code = ERR_get_error();
  while (ERR_get_error() != 0) {
  }
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

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

std::string readPassword(const PasswordSource& source, const LocatedPath& key) {
  if (source.env) {
    const char* value = std::getenv(source.env->value.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
      throw ConfigError(source.env->mark, "password.env",
                        "environment variable " + source.env->value + " is not set");
    }
    return value;
  }
  if (!source.file) {
    throw ConfigError(key.mark, "password", "no password source");
  }
  std::ifstream in(source.file->value);
  if (!in) {
    throw ConfigError(source.file->mark, "password.file",
                      "cannot read " + source.file->value + ": " + std::strerror(errno));
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.pop_back();
  }
  return line;
}

EVP_PKEY* loadPrivateKey(const LocatedPath& path, const std::optional<PasswordSource>& password) {
  std::string pass = password ? readPassword(*password, path) : std::string();
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(
      &pkey, nullptr, nullptr, nullptr, OSSL_KEYMGMT_SELECT_PRIVATE_KEY, nullptr, nullptr);
  if (decoder == nullptr) {
    throw ConfigError(path.mark, "key", "cannot set up a key decoder: " + opensslError());
  }
  if (password) {
    OSSL_DECODER_CTX_set_passphrase(decoder, reinterpret_cast<const unsigned char*>(pass.data()),
                                    pass.size());
  }
  std::FILE* file = std::fopen(path.value.c_str(), "rb");
  if (file == nullptr) {
    int err = errno;
    OSSL_DECODER_CTX_free(decoder);
    throw ConfigError(path.mark, "key", "cannot read " + path.value + ": " + std::strerror(err));
  }
  BIO* bio = BIO_new_fp(file, BIO_CLOSE);
  int ok = OSSL_DECODER_from_bio(decoder, bio);
  BIO_free(bio);
  OSSL_DECODER_CTX_free(decoder);
  OPENSSL_cleanse(pass.data(), pass.size());
  if (ok != 1 || pkey == nullptr) {
    ERR_clear_error();
    std::string hint = password ? "wrong password, or the file holds no private key"
                                : "no private key found (if it is encrypted, set password)";
    throw ConfigError(path.mark, "key", "cannot load private key from " + path.value + ": " + hint);
  }
  return pkey;
}

void installCertificate(SSL_CTX* ctx, const CertificateConfig& certificate) {
  std::vector<X509Ptr> chain;
  try {
    chain = loadCertificates(certificate.cert.value);
  } catch (const ConfigError& e) {
    throw ConfigError(certificate.cert.mark, "cert", e.what());
  }
  const LocatedPath& key_path = certificate.key.value.empty() ? certificate.cert : certificate.key;
  EVP_PKEY* pkey = loadPrivateKey(key_path, certificate.password);

  STACK_OF(X509)* extra = sk_X509_new_null();
  for (std::size_t i = 1; i < chain.size(); ++i) {
    sk_X509_push(extra, chain[i].get());
  }
  int ok = SSL_CTX_use_cert_and_key(ctx, chain.front().get(), pkey, extra, 1);
  sk_X509_free(extra);  // the context took its own references
  EVP_PKEY_free(pkey);
  if (ok != 1) {
    throw ConfigError(certificate.cert.mark, "cert",
                      "certificate " + certificate.cert.value + " and key " + key_path.value +
                          " do not go together: " + opensslError());
  }
}

int verifyCallback(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) {
    return 1;
  }
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* session = static_cast<TlsSession*>(SSL_get_ex_data(ssl, TlsContext::sessionIndex()));
  if (session != nullptr) {
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
  auto* session = static_cast<TlsSession*>(SSL_get_ex_data(ssl, TlsContext::sessionIndex()));
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

void keylogCallback(const SSL* ssl, const char* line) {
  auto* file = static_cast<std::FILE*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (file == nullptr) {
    return;
  }
  std::fprintf(file, "%s\n", line);
  std::fflush(file);
}

}  // namespace

int TlsContext::sessionIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::shared_ptr<TlsContext> TlsContext::create(const TlsConfig& config, TlsRole role,
                                               const std::string& default_servername) {
  std::shared_ptr<TlsContext> context(new TlsContext(config, role));
  context->applyProtocolPolicy();
  if (role == TlsRole::server) {
    context->loadServerCertificate();
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
  context->loadTrustAnchors();
  context->applyVerifyPolicy();
  context->applyAlpn();
  context->openKeylog();
  return context;
}

TlsContext::TlsContext(const TlsConfig& config, TlsRole role)
    : config_(config),
      role_(role),
      ctx_(SSL_CTX_new(role == TlsRole::server ? TLS_server_method() : TLS_client_method())) {
  if (ctx_ == nullptr) {
    throw ConfigError(config.mark, "tls", "cannot create a TLS context: " + opensslError());
  }
  SSL_CTX_set_info_callback(ctx_, infoCallback);
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
  if (keylog_ != nullptr) {
    std::fclose(keylog_);
  }
}

void TlsContext::applyProtocolPolicy() {
  SSL_CTX_set_security_level(ctx_, config_.security_level);
  auto [min_it, max_it] = std::minmax_element(
      config_.protocols.begin(), config_.protocols.end(),
      [](TlsProtocol a, TlsProtocol b) { return protocolVersion(a) < protocolVersion(b); });
  if (min_it == config_.protocols.end()) {
    throw ConfigError(config_.mark, "protocols", "no TLS version enabled");
  }
  SSL_CTX_set_min_proto_version(ctx_, protocolVersion(*min_it));
  SSL_CTX_set_max_proto_version(ctx_, protocolVersion(*max_it));
  // Versions between min and max that were left out of the list.
  const std::pair<TlsProtocol, uint64_t> gaps[] = {{TlsProtocol::tls1_1, SSL_OP_NO_TLSv1_1},
                                                   {TlsProtocol::tls1_2, SSL_OP_NO_TLSv1_2}};
  for (auto [protocol, option] : gaps) {
    if (std::find(config_.protocols.begin(), config_.protocols.end(), protocol) ==
        config_.protocols.end()) {
      SSL_CTX_set_options(ctx_, option);
    }
  }

  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (role_ == TlsRole::server) {
    SSL_CTX_set_options(ctx_, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  // Give SSL's record buffers back while a connection is idle.
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);

  if (!config_.cipher.empty() && SSL_CTX_set_cipher_list(ctx_, config_.cipher.c_str()) != 1) {
    throw ConfigError(config_.mark, "cipher",
                      "no usable cipher in \"" + config_.cipher + "\": " + opensslError() +
                          " (see `tlsgate ciphers tls1.2`)");
  }
  if (!config_.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx_, config_.ciphersuites.c_str()) != 1) {
    throw ConfigError(config_.mark, "ciphersuites",
                      "no usable TLS 1.3 suite in \"" + config_.ciphersuites +
                          "\": " + opensslError() + " (see `tlsgate ciphers tls1.3`)");
  }
  if (!config_.groups.empty() && SSL_CTX_set1_groups_list(ctx_, config_.groups.c_str()) != 1) {
    throw ConfigError(config_.mark, "groups",
                      "unknown group in \"" + config_.groups + "\": " + opensslError());
  }
}

void TlsContext::loadServerCertificate() {
  if (config_.certificates.empty()) {
    throw ConfigError(config_.mark, "certificates", "a TLS accept side needs a certificate");
  }
  if (config_.certificates.size() > 1) {
    throw ConfigError(config_.mark, "certificates",
                      "only one certificate per listener is supported in this version");
  }
  installCertificate(ctx_, config_.certificates.front());
  // Session IDs and tickets must not cross listeners.
  static const unsigned char kSessionContext[] = "tlsgate";
  SSL_CTX_set_session_id_context(ctx_, kSessionContext, sizeof(kSessionContext) - 1);
}

void TlsContext::loadClientCertificate() {
  if (config_.client_certificate) {
    installCertificate(ctx_, *config_.client_certificate);
  }
}

void TlsContext::loadTrustAnchors() {
  const ClientCertConfig& cc = config_.client_certs;
  const bool server = role_ == TlsRole::server;
  // A client_certs CA overrides the block's own on the accept side.
  const bool own =
      server && (!cc.cafile.value.empty() || !cc.cadir.value.empty() || !cc.castore.empty());
  const LocatedPath& cafile = own ? cc.cafile : config_.cafile;
  const LocatedPath& cadir = own ? cc.cadir : config_.cadir;
  const std::string& castore = own ? cc.castore : config_.castore;

  if (!cafile.value.empty()) {
    if (SSL_CTX_load_verify_file(ctx_, cafile.value.c_str()) != 1) {
      throw ConfigError(cafile.mark, "cafile",
                        "cannot load CA certificates from " + cafile.value + ": " + opensslError());
    }
    if (server) {
      // Tell clients which CAs we accept, like TclTLS does with -cafile.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(cafile.value.c_str());
      if (names != nullptr) {
        SSL_CTX_set_client_CA_list(ctx_, names);
      }
    }
  }
  if (!cadir.value.empty() && SSL_CTX_load_verify_dir(ctx_, cadir.value.c_str()) != 1) {
    throw ConfigError(cadir.mark, "cadir",
                      "cannot use CA directory " + cadir.value + ": " + opensslError());
  }
  if (!castore.empty() && SSL_CTX_load_verify_store(ctx_, castore.c_str()) != 1) {
    throw ConfigError(config_.mark, "castore",
                      "cannot open CA store " + castore + ": " + opensslError());
  }
  if (!server && cafile.value.empty() && cadir.value.empty() && castore.empty()) {
    SSL_CTX_set_default_verify_paths(ctx_);
  }
  ERR_clear_error();
}

void TlsContext::applyVerifyPolicy() {
  if (role_ == TlsRole::client) {
    SSL_CTX_set_verify(ctx_, config_.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       config_.verify ? verifyCallback : nullptr);
    if (!config_.verify) {
      spdlog::warn("{}: verify is false: the connect side accepts any server certificate",
                   config_.mark.str());
    }
    return;
  }
  switch (config_.client_certs.mode) {
    case ClientCertMode::none:
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
      return;
    case ClientCertMode::request:
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, verifyCallback);
      break;
    case ClientCertMode::require:
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verifyCallback);
      break;
  }
  SSL_CTX_set_verify_depth(ctx_, config_.client_certs.verify_depth);
}

void TlsContext::applyAlpn() {
  for (const std::string& protocol : config_.alpn) {
    alpn_wire_.push_back(static_cast<char>(protocol.size()));
    alpn_wire_ += protocol;
  }
  if (alpn_wire_.empty()) {
    return;
  }
  if (role_ == TlsRole::server) {
    SSL_CTX_set_alpn_select_cb(ctx_, selectAlpn, &alpn_wire_);
    return;
  }
  SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
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
                      "cannot open key log " + path + ": " + std::strerror(errno));
  }
  SSL_CTX_set_app_data(ctx_, keylog_);
  SSL_CTX_set_keylog_callback(ctx_, keylogCallback);
  spdlog::warn(
      "{}: TLS session keys are being written to {}; anyone who can read it can "
      "decrypt this traffic",
      config_.mark.str(), path);
}

}  // namespace tlsgate
