// The read-only commands: version, protocols, ciphers and cert-info
// (TclTLS tls::version, tls::protocols, tls::ciphers, tls::status).
#pragma once

#include <optional>
#include <string>

namespace tlsgate {

// "tlsgate 0.1.0", then the OpenSSL and libuv versions, one per line.
std::string versionText();
std::string protocolsText();
// Throws std::invalid_argument for an unknown protocol name.
std::string ciphersText(const std::optional<std::string>& protocol, bool verbose);
// Throws ConfigError when the file holds no certificate.
std::string certInfoText(const std::string& path);

}  // namespace tlsgate
