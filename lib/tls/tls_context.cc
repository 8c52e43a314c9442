#include "tls/tls_context.h"

#include <openssl/err.h>

#include <algorithm>
#include <utility>

#include "tls/cipher_defaults.h"
#include "tls/keylog_file.h"
#include "tls/openssl_callbacks.h"
#include "util/config_error.h"
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

std::string alpnWireFormat(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& protocol : protocols) {
    wire.push_back(static_cast<char>(protocol.size()));
    wire += protocol;
  }
  return wire;
}

}  // namespace

TlsContext::TlsContext(const TlsPolicyConfig& policy, const char* default_cipher_list)
    : default_cipher_list_(default_cipher_list), alpn_wire_(alpnWireFormat(policy.alpn)) {}

TlsContext::~TlsContext() {
  for (SSL_CTX* ctx : contexts_) {
    SSL_CTX_free(ctx);
  }
}

SecretTap* TlsContext::keylogFile() const {
  return keylog_.get();
}

void TlsContext::onHandshakeDone(SSL* /*ssl*/, bool resumed) const {
  handshakes_.fetch_add(1, std::memory_order_relaxed);
  if (resumed) {
    resumptions_.fetch_add(1, std::memory_order_relaxed);
  }
}

SSL_CTX* TlsContext::newSslContext(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) {
    throw ConfigError(policy().mark, "tls", "cannot create a TLS context: " + takeOpensslError());
  }
  contexts_.push_back(ctx);
  attachContext(ctx, *this);
  installInfoCallback(ctx);
  // Before the certificates, whose key sizes the security level judges.
  applyProtocolPolicy(ctx);
  return ctx;
}

void TlsContext::openKeylogFile() {
  keylog_ = KeylogFile::open(policy());
}

void TlsContext::applyProtocolPolicy(SSL_CTX* ctx) {
  const TlsPolicyConfig& policy = this->policy();
  SSL_CTX_set_security_level(ctx, policy.security_level);
  auto [min_it, max_it] = std::minmax_element(
      policy.protocols.begin(), policy.protocols.end(),
      [](TlsProtocol a, TlsProtocol b) { return protocolVersion(a) < protocolVersion(b); });
  if (min_it == policy.protocols.end()) {
    throw ConfigError(policy.mark, "protocols", "no TLS version enabled");
  }
  SSL_CTX_set_min_proto_version(ctx, protocolVersion(*min_it));
  SSL_CTX_set_max_proto_version(ctx, protocolVersion(*max_it));
  // Versions between min and max that were left out of the list.
  const std::pair<TlsProtocol, uint64_t> gaps[] = {{TlsProtocol::tls1_1, SSL_OP_NO_TLSv1_1},
                                                   {TlsProtocol::tls1_2, SSL_OP_NO_TLSv1_2}};
  for (auto [protocol, option] : gaps) {
    if (std::find(policy.protocols.begin(), policy.protocols.end(), protocol) ==
        policy.protocols.end()) {
      SSL_CTX_set_options(ctx, option);
    }
  }

  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Give SSL's record buffers back while a connection is idle.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  const std::string& list =
      policy.cipher.empty() ? std::string(default_cipher_list_) : policy.cipher;
  if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
    throw ConfigError(policy.mark, "cipher",
                      "no usable cipher in \"" + policy.cipher + "\": " + takeOpensslError() +
                          " (see `tlsgate ciphers tls1.2`)");
  }
  const std::string& suites =
      policy.ciphersuites.empty() ? std::string(kDefaultCiphersuites) : policy.ciphersuites;
  if (SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
    throw ConfigError(policy.mark, "ciphersuites",
                      "no usable TLS 1.3 suite in \"" + policy.ciphersuites +
                          "\": " + takeOpensslError() + " (see `tlsgate ciphers tls1.3`)");
  }
  if (!policy.groups.empty() && SSL_CTX_set1_groups_list(ctx, policy.groups.c_str()) != 1) {
    throw ConfigError(policy.mark, "groups",
                      "unknown group in \"" + policy.groups + "\": " + takeOpensslError());
  }
}

void TlsContext::loadTrustStore(SSL_CTX* ctx, const LocatedPath& cafile, const LocatedPath& cadir,
                                const std::string& castore) const {
  if (!cafile.value.empty() && SSL_CTX_load_verify_file(ctx, cafile.value.c_str()) != 1) {
    throw ConfigError(
        cafile.mark, "cafile",
        "cannot load CA certificates from " + cafile.value + ": " + takeOpensslError());
  }
  if (!cadir.value.empty() && SSL_CTX_load_verify_dir(ctx, cadir.value.c_str()) != 1) {
    throw ConfigError(cadir.mark, "cadir",
                      "cannot use CA directory " + cadir.value + ": " + takeOpensslError());
  }
  if (!castore.empty() && SSL_CTX_load_verify_store(ctx, castore.c_str()) != 1) {
    throw ConfigError(policy().mark, "castore",
                      "cannot open CA store " + castore + ": " + takeOpensslError());
  }
}

}  // namespace tlsgate
