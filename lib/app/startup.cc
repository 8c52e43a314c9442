#include "app/startup.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include "proxy/listener.h"
#include "util/config_error.h"
#include "x509/self_signed.h"

namespace tlsgate {

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
  buildListeners(config);
}

void raiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) {
    return;
  }
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace tlsgate
