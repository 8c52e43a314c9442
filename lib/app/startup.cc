#include "app/startup.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "admin/admin_token.h"
#include "proxy/listener.h"
#include "util/config_error.h"
#include "util/errno_text.h"
#include "x509/self_signed.h"

namespace tlsgate {
namespace {

std::string makeScratchDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tlsgate-check-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw ConfigError(std::string("cannot create a scratch directory: ") + errnoText(errno));
  }
  return pattern;
}

void removeScratch(const std::string& dir) {
  if (!dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

}  // namespace

void prepareSelfSignedCertificates(const Config& config) {
  for (const ListenerConfig& listener : config.listeners) {
    if (!listener.accept.tls) {
      continue;
    }
    for (const CertificateConfig& certificate : listener.accept.tls->certificates) {
      if (!certificate.self_signed) {
        continue;
      }
      try {
        if (ensureSelfSigned(certificate.cert.value, certificate.key.value, {"localhost"},
                             {"127.0.0.1", "::1"})) {
          spdlog::warn(
              "{}: generated a self-signed certificate at {} for listener {}; clients "
              "will not trust it (use it for development only)",
              certificate.cert.mark.str(), certificate.cert.value, listener.name);
        }
      } catch (const ConfigError& e) {
        throw ConfigError(certificate.cert.mark, "self_signed", e.what());
      }
    }
  }
}

void validateConfig(const Config& config) {
  // Self-signed certificates that `run` would generate are generated into a
  // scratch directory, so the rest of their tls block is checked too.
  Config checked = config;
  std::string scratch;
  int generated = 0;
  for (ListenerConfig& listener : checked.listeners) {
    if (!listener.accept.tls) {
      continue;
    }
    for (CertificateConfig& certificate : listener.accept.tls->certificates) {
      std::error_code ignored;
      if (!certificate.self_signed || std::filesystem::exists(certificate.cert.value, ignored)) {
        continue;
      }
      if (scratch.empty()) {
        scratch = makeScratchDirectory();
      }
      const std::string base = scratch + "/" + std::to_string(++generated);
      certificate.cert.value = base + ".pem";
      certificate.key.value = base + ".key";
    }
  }
  if (!config.global.admin.token_file.value.empty()) {
    std::string token = readAdminToken(config.global.admin.token_file);
    OPENSSL_cleanse(token.data(), token.size());
  }
  try {
    prepareSelfSignedCertificates(checked);
    buildListeners(checked);
  } catch (...) {
    removeScratch(scratch);
    throw;
  }
  removeScratch(scratch);
}

}  // namespace tlsgate
