#include "x509/self_signed.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <ctime>
#include <string>
#include <vector>

#include "util/config_error.h"
#include "x509/certificate_info.h"
#include "x509/openssl_ptr.h"
#include "x509_test_files.h"

namespace tlsgate {
namespace {

using x509_test::fileExists;
using x509_test::fileMode;
using x509_test::openssl;
using x509_test::readFile;
using x509_test::writeFile;

X509Ptr loadOnlyCertificate(const std::string& path) {
  std::vector<X509Ptr> certs = loadCertificates(path);
  EXPECT_EQ(certs.size(), 1u);
  return certs.empty() ? nullptr : std::move(certs.front());
}

EvpPkeyPtr loadKey(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    return nullptr;
  }
  return EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

mode_t currentUmask() {
  mode_t mask = umask(0);
  umask(mask);
  return mask;
}

std::string ensureError(const std::string& cert_path, const std::string& key_path,
                        const std::vector<std::string>& ip_addresses = {}) {
  try {
    ensureSelfSigned(cert_path, key_path, {"host.example"}, ip_addresses);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SelfSignedTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }

  TempDir dir_;
};

TEST_F(SelfSignedTest, GeneratesKeyAndCertificateWhenBothAreMissing) {
  EXPECT_TRUE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {"host.example"}, {}));

  X509Ptr cert = loadOnlyCertificate(path("cert.pem"));
  EvpPkeyPtr key = loadKey(path("key.pem"));
  ASSERT_TRUE(cert);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
}

TEST_F(SelfSignedTest, KeyFileIsPrivateAndCertificateIsReadable) {
  ASSERT_TRUE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {"host.example"}, {}));

  EXPECT_EQ(fileMode(path("key.pem")), 0600u);
  EXPECT_EQ(fileMode(path("cert.pem")), 0644u & ~currentUmask());
}

TEST_F(SelfSignedTest, CertificateCarriesTheRequestedFields) {
  ASSERT_TRUE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {"a.example", "b.example"},
                               {"192.0.2.1", "2001:db8::1"}));

  X509Ptr cert = loadOnlyCertificate(path("cert.pem"));
  ASSERT_TRUE(cert);
  CertificateInfo info = describeCertificate(cert.get());
  EXPECT_EQ(info.subject, "CN=a.example");
  EXPECT_EQ(info.issuer, "CN=a.example");
  EXPECT_TRUE(info.self_signed);
  EXPECT_EQ(info.version, 3);
  EXPECT_EQ(info.signature_algorithm, "ecdsa-with-SHA256");
  EXPECT_EQ(info.subject_alt_names,
            (std::vector<std::string>{"DNS:a.example", "DNS:b.example", "IP Address:192.0.2.1",
                                      "IP Address:2001:DB8:0:0:0:0:0:1"}));
  // A 16-byte serial with the top bit clear prints as exactly 32 hex digits.
  EXPECT_EQ(info.serial_number.size(), 32u);
}

TEST_F(SelfSignedTest, CertificateIsAServerLeafNotACa) {
  ASSERT_TRUE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {"host.example"}, {}));

  std::string text = openssl("x509 -noout -ext basicConstraints,keyUsage,extendedKeyUsage -in " +
                             path("cert.pem"));

  EXPECT_TRUE(contains(text, "X509v3 Basic Constraints: critical\n    CA:FALSE")) << text;
  EXPECT_TRUE(contains(text, "X509v3 Key Usage: critical\n    Digital Signature\n")) << text;
  EXPECT_TRUE(contains(text, "X509v3 Extended Key Usage: \n    TLS Web Server Authentication"))
      << text;
}

TEST_F(SelfSignedTest, ValidFromAnHourAgoFor365Days) {
  const time_t now = std::time(nullptr);
  ASSERT_TRUE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {"host.example"}, {}));
  X509Ptr cert = loadOnlyCertificate(path("cert.pem"));
  ASSERT_TRUE(cert);

  time_t early = now - 3600 - 60;
  time_t late = now - 3600 + 60;
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(cert.get()), &early), 1);
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(cert.get()), &late), -1);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                           X509_get0_notAfter(cert.get())),
            1);
  EXPECT_EQ(days, 365);
  EXPECT_EQ(seconds, 0);
}

TEST_F(SelfSignedTest, SerialNumbersDiffer) {
  ASSERT_TRUE(ensureSelfSigned(path("one.pem"), path("one.key"), {"host.example"}, {}));
  ASSERT_TRUE(ensureSelfSigned(path("two.pem"), path("two.key"), {"host.example"}, {}));

  X509Ptr one = loadOnlyCertificate(path("one.pem"));
  X509Ptr two = loadOnlyCertificate(path("two.pem"));
  ASSERT_TRUE(one && two);
  EXPECT_NE(describeCertificate(one.get()).serial_number,
            describeCertificate(two.get()).serial_number);
}

TEST_F(SelfSignedTest, CommonNameFallsBackToTheFirstIpAddress) {
  ASSERT_TRUE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {}, {"192.0.2.9"}));

  X509Ptr cert = loadOnlyCertificate(path("cert.pem"));
  ASSERT_TRUE(cert);
  EXPECT_EQ(subjectOneLine(cert.get()), "CN=192.0.2.9");
}

TEST_F(SelfSignedTest, LeavesExistingFilesAlone) {
  ASSERT_TRUE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {"host.example"}, {}));
  const std::string cert = readFile(path("cert.pem"));
  const std::string key = readFile(path("key.pem"));

  EXPECT_FALSE(ensureSelfSigned(path("cert.pem"), path("key.pem"), {"other.example"}, {}));

  EXPECT_EQ(readFile(path("cert.pem")), cert);
  EXPECT_EQ(readFile(path("key.pem")), key);
}

TEST_F(SelfSignedTest, CreatesParentDirectories) {
  EXPECT_TRUE(ensureSelfSigned(path("a/b/cert.pem"), path("c/d/key.pem"), {"host.example"}, {}));

  EXPECT_TRUE(fileExists(path("a/b/cert.pem")));
  EXPECT_TRUE(fileExists(path("c/d/key.pem")));
}

TEST_F(SelfSignedTest, CertificateWithoutKeyIsAnError) {
  writeFile(path("cert.pem"), "existing");

  std::string message = ensureError(path("cert.pem"), path("key.pem"));

  EXPECT_TRUE(contains(message, path("cert.pem") + " exists but " + path("key.pem") + " does not"))
      << message;
  EXPECT_FALSE(fileExists(path("key.pem")));
  EXPECT_EQ(readFile(path("cert.pem")), "existing");
}

TEST_F(SelfSignedTest, KeyWithoutCertificateIsAnError) {
  writeFile(path("key.pem"), "existing");

  std::string message = ensureError(path("cert.pem"), path("key.pem"));

  EXPECT_TRUE(contains(message, path("key.pem") + " exists but " + path("cert.pem") + " does not"))
      << message;
  EXPECT_FALSE(fileExists(path("cert.pem")));
}

TEST_F(SelfSignedTest, EmptyKeyPathPutsKeyAndCertificateInOneFile) {
  EXPECT_TRUE(ensureSelfSigned(path("both.pem"), "", {"host.example"}, {}));

  const std::string text = readFile(path("both.pem"));
  size_t key_at = text.find("-----BEGIN PRIVATE KEY-----");
  size_t cert_at = text.find("-----BEGIN CERTIFICATE-----");
  ASSERT_NE(key_at, std::string::npos);
  ASSERT_NE(cert_at, std::string::npos);
  EXPECT_LT(key_at, cert_at);
  EXPECT_EQ(fileMode(path("both.pem")), 0600u);

  X509Ptr cert = loadOnlyCertificate(path("both.pem"));
  EvpPkeyPtr key = loadKey(path("both.pem"));
  ASSERT_TRUE(cert && key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_FALSE(ensureSelfSigned(path("both.pem"), "", {"host.example"}, {}));
}

TEST_F(SelfSignedTest, KeyPathEqualToCertPathPutsBothInOneFile) {
  EXPECT_TRUE(ensureSelfSigned(path("both.pem"), path("both.pem"), {"host.example"}, {}));

  EXPECT_TRUE(loadKey(path("both.pem")));
  EXPECT_EQ(loadCertificates(path("both.pem")).size(), 1u);
  EXPECT_EQ(fileMode(path("both.pem")), 0600u);
  EXPECT_FALSE(ensureSelfSigned(path("both.pem"), path("both.pem"), {"host.example"}, {}));
}

TEST_F(SelfSignedTest, MalformedIpAddressIsAnErrorAndWritesNothing) {
  std::string message = ensureError(path("cert.pem"), path("key.pem"), {"300.1.1.1"});

  EXPECT_TRUE(contains(message, "\"300.1.1.1\" is not an IPv4 or IPv6 address")) << message;
  EXPECT_FALSE(fileExists(path("cert.pem")));
  EXPECT_FALSE(fileExists(path("key.pem")));
}

TEST_F(SelfSignedTest, UnusablePathIsAnErrorNamingIt) {
  writeFile(path("plain-file"), "");

  std::string message = ensureError(path("plain-file/cert.pem"), path("key.pem"));

  EXPECT_TRUE(contains(message, path("plain-file/cert.pem"))) << message;
  EXPECT_FALSE(fileExists(path("key.pem")));
}

TEST_F(SelfSignedTest, UnwritableKeyDirectoryIsAnErrorNamingIt) {
  writeFile(path("plain-file"), "");

  // The key's parent cannot be created because a file stands in its place.
  std::string message = ensureError(path("cert.pem"), path("plain-file/sub/key.pem"));

  EXPECT_TRUE(contains(message, path("plain-file/sub/key.pem"))) << message;
  EXPECT_FALSE(fileExists(path("cert.pem")));
}

}  // namespace
}  // namespace tlsgate
