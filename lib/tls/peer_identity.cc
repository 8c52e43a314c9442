#include "tls/peer_identity.h"

#include "x509/certificate_info.h"
#include "x509/certificate_names.h"

namespace tlsgate {

PeerIdentity identityOf(X509* cert) {
  PeerIdentity out;
  if (cert == nullptr) {
    return out;
  }
  CertificateNames names = certificateNames(cert);
  out.subject = subjectOneLine(cert);
  out.common_name = std::move(names.common_name);
  out.dns = std::move(names.dns);
  out.uris = std::move(names.uris);
  out.ips = std::move(names.ips);
  out.sha256 = sha256Fingerprint(cert);
  out.issuer = issuerOneLine(cert);
  out.not_before = notBeforeText(cert);
  out.not_after = notAfterText(cert);
  return out;
}

}  // namespace tlsgate
