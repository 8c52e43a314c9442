#include "migrate/certificate_pins.h"

#include "util/config_error.h"
#include "x509/certificate_info.h"

namespace tlsgate {

PinReading certificatePins(const std::string& path) {
  PinReading out;
  try {
    for (const X509Ptr& cert : loadCertificates(path)) {
      out.sha256.push_back(sha256Fingerprint(cert.get()));
    }
  } catch (const ConfigError& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace tlsgate
