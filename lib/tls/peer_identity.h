// Who the peer is, from its certificate: the fields the client-certificate
// allow rules match and that logs and backends are told about.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace tlsgate {

struct PeerIdentity {
  std::string subject;            // "CN=billing,O=Example"; empty without a certificate
  std::string common_name;        // the subject's CN
  std::vector<std::string> dns;   // subjectAltName DNS entries
  std::vector<std::string> uris;  // subjectAltName URIs (spiffe://...)
  std::vector<std::string> ips;   // subjectAltName IP addresses, as text
  std::string sha256;             // certificate SHA-256, upper-case hex, as `tlsgate cert-info`
  std::string issuer;             // same form as subject
  std::string not_before;         // "Nov 23 18:00:00 2026 GMT"
  std::string not_after;

  bool present() const { return !sha256.empty(); }
};

PeerIdentity identityOf(X509* cert);

}  // namespace tlsgate
