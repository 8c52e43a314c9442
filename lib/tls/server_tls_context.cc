#include "tls/server_tls_context.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <chrono>
#include <utility>

#include "tls/certificate_loader.h"
#include "tls/cipher_defaults.h"
#include "tls/openssl_callbacks.h"
#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"
#include "x509/certificate_info.h"
#include "x509/openssl_error.h"

namespace tlsgate {
namespace {

std::string readBinaryFile(const LocatedPath& path, const std::string& key) {
  FileContents file = readWholeFile(path.value);
  if (!file.ok()) {
    throw ConfigError(path.mark, key, "cannot read " + path.value + ": " + errnoText(file.error));
  }
  return std::move(file.bytes);
}

}  // namespace

std::shared_ptr<ServerTlsContext> ServerTlsContext::create(const ServerTlsConfig& config) {
  std::shared_ptr<ServerTlsContext> context(new ServerTlsContext(config));
  context->newServerSslContext();  // the default one
  context->loadCertificates();
  if (!config.dhparams.value.empty()) {
    context->loadDhParams();
  }
  if (!config.ocsp_staple.value.empty()) {
    context->loadOcspResponse();
  }
  if (!config.session.ticket_keys.value.empty()) {
    context->ticket_keys_ = TicketKeys::load(config.session.ticket_keys);
  }
  context->openKeylogFile();
  for (SSL_CTX* ctx : context->sslContexts()) {
    context->loadTrustAnchors(ctx);
    context->applyVerifyPolicy(ctx);
    if (!context->alpnWire().empty()) {
      installAlpnSelect(ctx, context->alpnWire());
    }
    // Every server handshake feeds the secret tap: a TLS 1.3 session takes
    // its traffic secrets from there (traffic_secrets.h).
    installSecretTap(ctx);
    context->applySessionPolicy(ctx);
    context->applyExtras(ctx);
  }
  installServernameCallback(context->native(), *context);
  return context;
}

ServerTlsContext::ServerTlsContext(const ServerTlsConfig& config)
    : TlsContext(config,
                 config.dhparams.value.empty() ? kDefaultCipherList : kDefaultDheCipherList),
      config_(config),
      client_cert_policy_(config.client_certs.allow) {}

SSL_CTX* ServerTlsContext::newServerSslContext() {
  SSL_CTX* ctx = newSslContext(TLS_server_method());
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  return ctx;
}

SSL_CTX* ServerTlsContext::contextFor(const std::string& servername) const {
  std::optional<std::size_t> group = sni_.select(servername);
  return group ? sslContexts()[*group] : nullptr;
}

std::string ServerTlsContext::peerRefusal(const PeerIdentity& identity) const {
  return client_cert_policy_.admits(identity) ? std::string() : ClientCertPolicy::refusal(identity);
}

void ServerTlsContext::loadCertificates() {
  const ServerTlsConfig& config = this->config();
  if (config.certificates.empty()) {
    throw ConfigError(config.mark, "certificates", "a TLS accept side needs a certificate");
  }
  std::vector<LoadedCertificate> loaded;
  loaded.reserve(config.certificates.size());
  for (const CertificateConfig& certificate : config.certificates) {
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
    SSL_CTX* ctx = index == 0 ? native() : newServerSslContext();
    for (const LoadedCertificate* certificate : groups[index]) {
      installCertificate(ctx, *certificate);
    }
    sni_.add(groups[index].front()->names, index);
  }
}

void ServerTlsContext::loadDhParams() {
  const LocatedPath& path = config().dhparams;
  const std::string pem = readBinaryFile(path, "dhparams");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  dh_params_.reset(PEM_read_bio_Parameters(bio.get(), nullptr));
  if (dh_params_ && EVP_PKEY_get_base_id(dh_params_.get()) == EVP_PKEY_DH) {
    return;
  }
  ERR_clear_error();
  throw ConfigError(path.mark, "dhparams",
                    path.value +
                        " holds no PEM DH parameters (make them with `openssl genpkey -genparam "
                        "-algorithm DH -pkeyopt dh_param:ffdhe2048`)");
}

void ServerTlsContext::loadOcspResponse() {
  const LocatedPath& path = config().ocsp_staple;
  ocsp_response_ = readBinaryFile(path, "ocsp_staple");
  const auto* der = reinterpret_cast<const unsigned char*>(ocsp_response_.data());
  const auto length = static_cast<long>(ocsp_response_.size());  // NOLINT(google-runtime-int)
  OCSP_RESPONSE* parsed = d2i_OCSP_RESPONSE(nullptr, &der, length);
  if (parsed != nullptr) {
    OCSP_RESPONSE_free(parsed);
    return;
  }
  ERR_clear_error();
  throw ConfigError(path.mark, "ocsp_staple",
                    path.value + " is not a DER OCSP response (as `openssl ocsp -respout` writes)");
}

void ServerTlsContext::loadTrustAnchors(SSL_CTX* ctx) {
  const ServerTlsConfig& config = this->config();
  const ClientCertConfig& cc = config.client_certs;
  // A client_certs CA overrides the block's own.
  const bool own = !cc.cafile.value.empty() || !cc.cadir.value.empty() || !cc.castore.empty();
  const LocatedPath& cafile = own ? cc.cafile : config.cafile;
  loadTrustStore(ctx, cafile, own ? cc.cadir : config.cadir, own ? cc.castore : config.castore);
  if (!cafile.value.empty()) {
    // Tell clients which CAs we accept, like TclTLS does with -cafile.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(cafile.value.c_str());
    if (names != nullptr) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
  }
  if (!cc.crl.value.empty()) {
    loadCrl(ctx);
  }
  ERR_clear_error();
}

void ServerTlsContext::loadCrl(SSL_CTX* ctx) {
  const LocatedPath& crl = config().client_certs.crl;
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

void ServerTlsContext::applyVerifyPolicy(SSL_CTX* ctx) {
  const ClientCertConfig& cc = config().client_certs;
  if (cc.mode != ClientCertMode::none && !client_cert_policy_.admitsEveryVerifiedCertificate()) {
    installPeerRules(ctx, *this);
  }
  switch (cc.mode) {
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
  SSL_CTX_set_verify_depth(ctx, cc.verify_depth);
}

void ServerTlsContext::applySessionPolicy(SSL_CTX* ctx) {
  const std::array<unsigned char, 32> id_context = sessionIdContext();
  SSL_CTX_set_session_id_context(ctx, id_context.data(), id_context.size());
  const ServerSessionConfig& session = config().session;
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

void ServerTlsContext::applyExtras(SSL_CTX* ctx) {
  if (dh_params_) {
    EVP_PKEY_up_ref(dh_params_.get());
    SSL_CTX_set0_tmp_dh_pkey(ctx, dh_params_.get());  // takes the reference
  }
  if (!ocsp_response_.empty()) {
    installOcspStapling(ctx, *this);
  }
}

// Sessions must not resume under another tls block's client-certificate
// policy, even when the blocks share a ticket key file; OpenSSL checks the
// id context on every resumption. It depends only on the configuration, so
// a restart with the same configuration and ticket keys still resumes.
std::array<unsigned char, 32> ServerTlsContext::sessionIdContext() const {
  const ServerTlsConfig& config = this->config();
  const ClientCertConfig& cc = config.client_certs;
  std::string policy = "tlsgate\n" + sha256Fingerprint(first_certificate_.get());
  for (const std::string& part :
       {std::to_string(static_cast<int>(cc.mode)), cc.cafile.value, cc.cadir.value, cc.castore,
        config.cafile.value, config.cadir.value, config.castore, cc.crl.value,
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

}  // namespace tlsgate
