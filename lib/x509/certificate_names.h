// The names a certificate is issued for: its subjectAltName entries by type
// and its subject common name. SNI certificate selection and the
// client-certificate allow rules both match against these.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace tlsgate {

struct CertificateNames {
  std::string common_name;        // the last CN of the subject; empty when there is none
  std::vector<std::string> dns;   // SAN dNSName entries, as written
  std::vector<std::string> uris;  // SAN uniformResourceIdentifier entries (e.g. spiffe://...)
  std::vector<std::string> ips;   // SAN iPAddress entries, as text ("10.0.0.1", "2001:db8::1")
};

CertificateNames certificateNames(X509* cert);

// The DNS names a server certificate serves, lower-cased: the SAN dNSNames,
// or the common name when the certificate has no dNSName (RFC 6125 6.4.4).
std::vector<std::string> serverNames(X509* cert);

}  // namespace tlsgate
