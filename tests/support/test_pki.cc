#include "support/test_pki.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "x509/certificate_info.h"

namespace tlsgate::test {
namespace {

EvpPkeyPtr makeKey() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    throw std::runtime_error("EVP_EC_gen failed");
  }
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    throw std::runtime_error("bad extension " + value);
  }
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr makeCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                        int valid_days) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof(serial_bytes));
  serial_bytes[0] &= 0x7F;
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  const long day = 24L * 3600L;  // NOLINT(google-runtime-int)
  if (valid_days >= 0) {
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_days * day);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), (valid_days - 1) * day);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_days * day);
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_pubkey(cert.get(), key);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  return cert;
}

void writePem(const std::string& path, X509* cert, X509* chain_ca) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509(f, cert);
  if (chain_ca != nullptr) {
    PEM_write_X509(f, chain_ca);
  }
  std::fclose(f);
}

void writeKey(const std::string& path, EVP_PKEY* key) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace

TestPki::TestPki(const std::string& ca_name) {
  std::string pattern = (std::filesystem::temp_directory_path() / "tlsgate-pki-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = pattern;
  ca_key_ = makeKey();
  ca_cert_ = makeCertificate(ca_key_.get(), ca_name, nullptr, 365);
  addExtension(ca_cert_.get(), ca_cert_.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExtension(ca_cert_.get(), ca_cert_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(ca_cert_.get(), ca_cert_.get(), NID_subject_key_identifier, "hash");
  X509_sign(ca_cert_.get(), ca_key_.get(), EVP_sha256());
  ca_path_ = dir_ + "/ca.pem";
  writePem(ca_path_, ca_cert_.get(), nullptr);
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

IssuedCertificate TestPki::issue(const std::string& name, const std::string& common_name,
                                 const std::vector<std::string>& dns_names,
                                 const std::vector<std::string>& ip_addresses, int valid_days) {
  return issueWithKey(makeKey(), name, common_name, dns_names, ip_addresses, valid_days);
}

IssuedCertificate TestPki::issueRsa(const std::string& name, const std::string& common_name,
                                    const std::vector<std::string>& dns_names) {
  EvpPkeyPtr key(EVP_RSA_gen(2048));
  if (!key) {
    throw std::runtime_error("EVP_RSA_gen failed");
  }
  return issueWithKey(std::move(key), name, common_name, dns_names, {}, 30);
}

IssuedCertificate TestPki::issueWithKey(EvpPkeyPtr key, const std::string& name,
                                        const std::string& common_name,
                                        const std::vector<std::string>& dns_names,
                                        const std::vector<std::string>& ip_addresses,
                                        int valid_days) {
  X509Ptr cert = makeCertificate(key.get(), common_name, ca_cert_.get(), valid_days);
  std::string san;
  for (const std::string& dns : dns_names) {
    san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  }
  for (const std::string& ip : ip_addresses) {
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  }
  return finish(std::move(key), std::move(cert), name, san);
}

IssuedCertificate TestPki::issueWithSubjectAltName(const std::string& name,
                                                   const std::string& common_name,
                                                   const std::string& subject_alt_name) {
  EvpPkeyPtr key = makeKey();
  X509Ptr cert = makeCertificate(key.get(), common_name, ca_cert_.get(), 30);
  return finish(std::move(key), std::move(cert), name, subject_alt_name);
}

IssuedCertificate TestPki::finish(EvpPkeyPtr key, X509Ptr cert, const std::string& name,
                                  const std::string& subject_alt_name) {
  if (!subject_alt_name.empty()) {
    addExtension(cert.get(), ca_cert_.get(), NID_subject_alt_name, subject_alt_name);
  }
  addExtension(cert.get(), ca_cert_.get(), NID_basic_constraints, "CA:FALSE");
  addExtension(cert.get(), ca_cert_.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  X509_sign(cert.get(), ca_key_.get(), EVP_sha256());

  IssuedCertificate issued{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  writePem(issued.cert_path, cert.get(), ca_cert_.get());
  writeKey(issued.key_path, key.get());
  return issued;
}

std::string TestPki::writeCrl(const std::string& name,
                              const std::vector<std::string>& revoked_cert_paths) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert_.get()));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, -60);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, 7L * 24 * 3600);  // NOLINT(google-runtime-int)
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  for (const std::string& path : revoked_cert_paths) {
    X509Ptr leaf = std::move(loadCertificates(path).front());
    X509_REVOKED* revoked = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(revoked, X509_get_serialNumber(leaf.get()));
    X509_REVOKED_set_revocationDate(revoked, now);
    X509_CRL_add0_revoked(crl, revoked);
  }
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, ca_key_.get(), EVP_sha256());
  std::string path = dir_ + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509_CRL(f, crl);
  std::fclose(f);
  X509_CRL_free(crl);
  return path;
}

std::string TestPki::writeFile(const std::string& name, const std::string& text) const {
  std::string path = dir_ + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace tlsgate::test
