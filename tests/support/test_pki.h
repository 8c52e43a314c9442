// A throwaway PKI for tests: a CA and certificates it signs, written as PEM
// files into a fresh temporary directory that is removed afterwards.
#pragma once

#include <string>
#include <vector>

#include "x509/openssl_ptr.h"

namespace tlsgate::test {

struct IssuedCertificate {
  std::string cert_path;  // leaf, then the CA (a chain)
  std::string key_path;
};

class TestPki {
 public:
  // `ca_name` becomes the CA's CN.
  explicit TestPki(const std::string& ca_name = "tlsgate test CA");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
  TestPki(TestPki&&) = delete;
  TestPki& operator=(TestPki&&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& caPath() const { return ca_path_; }

  // A certificate for `common_name` with DNS and IP SANs, signed by the CA.
  // `valid_days` below zero makes it already expired.
  IssuedCertificate issue(const std::string& name, const std::string& common_name,
                          const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ip_addresses = {}, int valid_days = 30);

  // As issue(), with an RSA-2048 key instead of ECDSA P-256.
  IssuedCertificate issueRsa(const std::string& name, const std::string& common_name,
                             const std::vector<std::string>& dns_names);

  // A certificate whose subjectAltName is exactly `subject_alt_name`, in
  // OpenSSL's config syntax ("URI:spiffe://example.org/a,DNS:a.example");
  // empty for none.
  IssuedCertificate issueWithSubjectAltName(const std::string& name, const std::string& common_name,
                                            const std::string& subject_alt_name);

  // A PEM CRL, signed by the CA, that revokes the leaf of each certificate
  // file; returns its path.
  std::string writeCrl(const std::string& name, const std::vector<std::string>& revoked_cert_paths);

  // Writes `text` to a file in dir() and returns its path.
  std::string writeFile(const std::string& name, const std::string& text) const;

 private:
  IssuedCertificate issueWithKey(EvpPkeyPtr key, const std::string& name,
                                 const std::string& common_name,
                                 const std::vector<std::string>& dns_names,
                                 const std::vector<std::string>& ip_addresses, int valid_days);
  IssuedCertificate finish(EvpPkeyPtr key, X509Ptr cert, const std::string& name,
                           const std::string& subject_alt_name);

  std::string dir_;
  std::string ca_path_;
  EvpPkeyPtr ca_key_;
  X509Ptr ca_cert_;
};

}  // namespace tlsgate::test
