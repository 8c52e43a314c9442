// What this OpenSSL build offers: protocol versions, cipher suites and the
// library version. Backs `tlsgate protocols`, `tlsgate ciphers` and
// `tlsgate version` (TclTLS tls::protocols, tls::ciphers, tls::version).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tlsgate {

// The TLS versions the library can speak, oldest first, named tls1, tls1.1,
// tls1.2 and tls1.3. tls1 and tls1.1 are listed when the library has them,
// even though tlsgate only enables them at security_level 0.
std::vector<std::string> supportedProtocols();

struct CipherEntry {
  std::string name;           // OpenSSL name: "ECDHE-RSA-AES128-GCM-SHA256"
  std::string standard_name;  // RFC name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
  std::string protocol;       // oldest version that has it, OpenSSL spelling: "TLSv1.2"
  std::string description;    // SSL_CIPHER_description(), without the newline
};

// The cipher suites the compiled-in default lists enable for a protocol:
//   "tls1.2"          TLS <= 1.2 suites (the `cipher` option) at security level 2
//   "tls1.3"          TLS 1.3 suites (the `ciphersuites` option) at security level 2
//   "tls1", "tls1.1"  suites for that version at security level 0, the only
//                     level at which tlsgate enables it
//   nullopt           everything tlsgate's defaults enable: TLS 1.2 and 1.3
// Suites are in OpenSSL's preference order. A protocol the build lacks gives
// an empty list. Throws std::invalid_argument for any other name.
std::vector<CipherEntry> listCiphers(const std::optional<std::string>& protocol);

// One name per line; verbose gives aligned columns like `openssl ciphers -v`:
// name, protocol, Kx=, Au=, Enc=, Mac=.
std::string formatCiphers(const std::vector<CipherEntry>& ciphers, bool verbose);

// OpenSSL_version(OPENSSL_VERSION), e.g. "OpenSSL 3.0.11 19 Sep 2023".
std::string opensslVersion();

}  // namespace tlsgate
