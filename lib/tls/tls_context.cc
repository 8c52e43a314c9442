#include "tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "tls/certificate_loader.h"
#include "tls/cipher_defaults.h"
#include "tls/keylog_file.h"
#include "tls/openssl_callbacks.h"
#include "tls/peer_identity.h"
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

std::string readBinaryFile(const LocatedPath& path, const std::string& key) {
  FileContents file = readWholeFile(path.value);
  if (!file.ok()) {
    throw ConfigError(path.mark, key, "cannot read " + path.value + ": " + errnoText(file.error));
  }
  return std::move(file.bytes);
}

}  // namespace

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
  context->keylog_ = KeylogFile::open(config);
  for (SSL_CTX* ctx : context->contexts_) {
    context->loadTrustAnchors(ctx);
    context->applyVerifyPolicy(ctx);
    context->applyAlpn(ctx);
    context->applySecretTap(ctx);
    if (side == Side::accept) {
      context->applyServerSessionPolicy(ctx);
      context->applyServerExtras(ctx);
    } else {
      context->applyClientSessionPolicy(ctx);
    }
  }
  if (side == Side::accept) {
    installServernameCallback(context->native(), *context);
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
}

SSL_CTX* TlsContext::newSslContext() {
  SSL_CTX* ctx = SSL_CTX_new(side_ == Side::accept ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) {
    throw ConfigError(config_.mark, "tls", "cannot create a TLS context: " + takeOpensslError());
  }
  contexts_.push_back(ctx);
  attachContext(ctx, *this);
  installInfoCallback(ctx);
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

SecretTap* TlsContext::keylogFile() const {
  return keylog_.get();
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
    installOcspStapling(ctx, *this);
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
    if (config_.verify) {
      installVerifyCallback(ctx, SSL_VERIFY_PEER);
    } else {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (config_.verify && !config_.pin_sha256.empty()) {
      installPeerRules(ctx, *this);
    }
    if (!config_.verify) {
      spdlog::warn("{}: verify is false: the connect side accepts any server certificate",
                   config_.mark.str());
    }
    return;
  }
  if (config_.client_certs.mode != ClientCertMode::none &&
      !client_cert_policy_.admitsEveryVerifiedCertificate()) {
    installPeerRules(ctx, *this);
  }
  switch (config_.client_certs.mode) {
    case ClientCertMode::none:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      return;
    case ClientCertMode::request:
      installVerifyCallback(ctx, SSL_VERIFY_PEER);
      break;
    case ClientCertMode::require:
      installVerifyCallback(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
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
    installAlpnSelect(ctx, alpn_wire_);
    return;
  }
  SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                          static_cast<unsigned int>(alpn_wire_.size()));
}

// The secret tap runs on every server handshake, for the record layer's
// traffic secrets (see traffic_secrets.h); on the client side only when the
// key log file wants them.
void TlsContext::applySecretTap(SSL_CTX* ctx) {
  if (keylog_ || side_ == Side::accept) {
    installSecretTap(ctx);
  }
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
    installTicketKeyCallback(ctx);
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
  installSessionKeeper(ctx);
}

}  // namespace tlsgate
