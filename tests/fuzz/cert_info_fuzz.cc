// Fuzzes what `tlsgate cert-info FILE` does with a file's bytes: PEM or DER
// parsing, then every field it prints, and the names and fingerprints the
// TLS side reads from a served certificate. A ConfigError is the expected
// answer to bytes that hold no certificate; anything else is a finding.
// Each certificate found prints as one block of thirteen lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "util/config_error.h"
#include "x509/certificate_info.h"
#include "x509/certificate_names.h"

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

std::size_t countLines(const std::string& text) {
  std::size_t lines = 0;
  for (char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  return lines;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace tlsgate;
  const std::string contents(reinterpret_cast<const char*>(data), size);
  std::vector<X509Ptr> certs;
  try {
    certs = parseCertificates("fuzz.pem", contents);
  } catch (const ConfigError& e) {
    check(std::string(e.what()).starts_with("fuzz.pem"));
    return 0;
  }
  check(!certs.empty());
  for (const X509Ptr& cert : certs) {
    const CertificateInfo info = describeCertificate(cert.get());
    check(info.sha256_hash.size() == 64 && info.sha256_hash == sha256Fingerprint(cert.get()));
    check(countLines(formatCertificateInfo(info)) == 13);
    (void)notAfterUnix(cert.get());
    (void)certificateNames(cert.get());
    (void)serverNames(cert.get());
  }
  // A field holding a line break would let a certificate forge lines of
  // the output (or of a log); blocks are separated by one blank line.
  const std::string text = formatCertificates("fuzz.pem", contents);
  check(countLines(text) == 14 * certs.size() - 1);
  return 0;
}
