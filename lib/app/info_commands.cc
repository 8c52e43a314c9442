#include "app/info_commands.h"

#include <uv.h>

#include "app/version.h"
#include "tls/catalog.h"
#include "x509/certificate_info.h"

namespace tlsgate {

std::string versionText() {
  return std::string("tlsgate ") + kTlsgateVersion + "\n" + opensslVersion() + "\nlibuv " +
         uv_version_string() + "\n";
}

std::string protocolsText() {
  std::string out;
  for (const std::string& protocol : supportedProtocols()) {
    out += protocol + "\n";
  }
  return out;
}

std::string ciphersText(const std::optional<std::string>& protocol, bool verbose) {
  return formatCiphers(listCiphers(protocol), verbose);
}

std::string certInfoText(const std::string& path) {
  return formatCertificateFile(path);
}

}  // namespace tlsgate
