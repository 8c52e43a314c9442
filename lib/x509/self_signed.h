// A self-signed certificate for first starts and test setups, so that a
// listener can come up before a real certificate has been issued.
#pragma once

#include <string>
#include <vector>

namespace tlsgate {

// When neither cert_path nor key_path exists, generates an ECDSA P-256 key
// and a self-signed X.509 v3 server certificate and writes them there,
// creating parent directories. The subject CN is the first DNS name (else the
// first IP address, else "tlsgate"); the subjectAltName lists every DNS name
// and IP address. The certificate is valid from an hour ago for 365 days.
//
// The key file is created with mode 0600 and the certificate with 0644. When
// key_path is empty or equal to cert_path, key and certificate go into one
// file (key first, mode 0600).
//
// Returns true if it generated, false if the files already exist. Throws
// ConfigError if only one of the two files exists, on a malformed IP address,
// and on I/O errors (naming the path).
bool ensureSelfSigned(const std::string& cert_path, const std::string& key_path,
                      const std::vector<std::string>& dns_names,
                      const std::vector<std::string>& ip_addresses);

}  // namespace tlsgate
