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

  // Writes `text` to a file in dir() and returns its path.
  std::string writeFile(const std::string& name, const std::string& text) const;

 private:
  std::string dir_;
  std::string ca_path_;
  EvpPkeyPtr ca_key_;
  X509Ptr ca_cert_;
};

}  // namespace tlsgate::test
