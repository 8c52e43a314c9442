// Reading the certificates and keys of a tls block from disk, and grouping
// a listener's certificates by the names they serve (one SSL_CTX per group).
// Startup only: every failure is a ConfigError naming the file and position.
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "x509/openssl_ptr.h"

namespace tlsgate {

// One certificate entry, read from disk.
struct LoadedCertificate {
  const CertificateConfig* config = nullptr;
  std::vector<X509Ptr> chain;  // leaf first
  EvpPkeyPtr key;
  std::vector<std::string> names;  // sorted, lower-case: what SNI selects it by
};

// Loads the chain (PEM or DER) and the private key (decrypting it with the
// configured password), and warns when the key file is readable by others.
LoadedCertificate loadCertificate(const CertificateConfig& certificate);

// Adds the certificate, its chain and its key to `ctx`.
void installCertificate(SSL_CTX* ctx, const LoadedCertificate& certificate);

// Certificates with the same names, in the order first seen; the first
// certificate's group comes first. A group holds at most one certificate
// per key type (an SSL_CTX has one slot per type), so a second one is an
// error rather than a certificate that would silently never be served.
std::vector<std::vector<const LoadedCertificate*>> groupByNames(
    const std::vector<LoadedCertificate>& certificates);

}  // namespace tlsgate
