#include "x509/certificate_info.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "util/config_error.h"
#include "x509/self_signed.h"
#include "x509_test_files.h"

namespace tlsgate {
namespace {

using x509_test::afterEquals;
using x509_test::openssl;
using x509_test::readFile;
using x509_test::withoutColons;
using x509_test::writeFile;

TempDir* suite_dir = nullptr;

// Certificates made once with the openssl command line tool, so the fields
// tlsgate reads can be checked against an independent implementation.
class CertificateInfoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_dir = new TempDir();
    openssl("req -x509 -newkey rsa:2048 -nodes -days 30 -keyout " + path("rsa.key") + " -out " +
            path("rsa.pem") + " -subj '/C=DE/O=Example Org/CN=rsa.example'" +
            " -addext 'subjectAltName=DNS:rsa.example,DNS:www.rsa.example,IP:10.0.0.1," +
            "URI:spiffe://example.org/rsa'");
    openssl("x509 -in " + path("rsa.pem") + " -outform DER -out " + path("rsa.der"));
    openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout " +
            path("ca.key") + " -out " + path("ca.pem") + " -subj '/CN=Test CA'");
    issueFromCa("leaf", "/CN=leaf.example");
    // Same subject as the CA, so only the signature check tells them apart.
    issueFromCa("impostor", "/CN=Test CA");
    writeFile(path("chain.pem"), readFile(path("leaf.pem")) + readFile(path("ca.pem")));
  }

  static void TearDownTestSuite() {
    delete suite_dir;
    suite_dir = nullptr;
  }

  static std::string path(const std::string& name) { return suite_dir->file(name); }

  static void issueFromCa(const std::string& name, const std::string& subject) {
    openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
            path(name + ".key") + " -out " + path(name + ".csr") + " -subj '" + subject + "'");
    openssl("x509 -req -days 30 -set_serial 0x1234 -in " + path(name + ".csr") + " -CA " +
            path("ca.pem") + " -CAkey " + path("ca.key") + " -out " + path(name + ".pem"));
  }

  static CertificateInfo describeFile(const std::string& name) {
    std::vector<X509Ptr> certs = loadCertificates(path(name));
    EXPECT_EQ(certs.size(), 1u);
    return describeCertificate(certs.front().get());
  }

  static std::string opensslField(const std::string& name, const std::string& option) {
    return afterEquals(openssl("x509 -noout " + option + " -in " + path(name)));
  }

  // The value line of `openssl x509 -ext subjectAltName`, "DNS:a, IP Address:b".
  static std::string opensslSubjectAltName(const std::string& name) {
    std::string output = openssl("x509 -noout -ext subjectAltName -in " + path(name));
    std::string value = output.substr(output.find('\n') + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of('\n') + 1);
    return value;
  }
};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

std::string loadError(const std::string& path) {
  try {
    loadCertificates(path);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST_F(CertificateInfoTest, RsaFieldsMatchTheOpensslTool) {
  CertificateInfo info = describeFile("rsa.pem");

  EXPECT_EQ(info.subject, "CN=rsa.example,O=Example Org,C=DE");
  EXPECT_EQ(info.subject, opensslField("rsa.pem", "-subject -nameopt RFC2253"));
  EXPECT_EQ(info.issuer, info.subject);
  EXPECT_EQ(info.serial_number, opensslField("rsa.pem", "-serial"));
  EXPECT_EQ(info.not_before, opensslField("rsa.pem", "-startdate"));
  EXPECT_EQ(info.not_after, opensslField("rsa.pem", "-enddate"));
  EXPECT_EQ(info.sha1_hash, withoutColons(opensslField("rsa.pem", "-fingerprint -sha1")));
  EXPECT_EQ(info.sha256_hash, withoutColons(opensslField("rsa.pem", "-fingerprint -sha256")));
  EXPECT_EQ(info.version, 3);
  EXPECT_EQ(info.signature_algorithm, "sha256WithRSAEncryption");
  EXPECT_EQ(info.public_key_algorithm, "rsaEncryption");
  EXPECT_EQ(info.bits, 2048);
  EXPECT_TRUE(info.self_signed);
  EXPECT_EQ(info.subject_alt_names,
            (std::vector<std::string>{"DNS:rsa.example", "DNS:www.rsa.example",
                                      "IP Address:10.0.0.1", "URI:spiffe://example.org/rsa"}));
  EXPECT_EQ(joined(info.subject_alt_names), opensslSubjectAltName("rsa.pem"));
}

TEST_F(CertificateInfoTest, HashesAreUppercaseHexWithoutColons) {
  CertificateInfo info = describeFile("rsa.pem");

  EXPECT_EQ(info.sha1_hash.size(), 40u);
  EXPECT_EQ(info.sha256_hash.size(), 64u);
  EXPECT_EQ(info.sha256_hash.find_first_not_of("0123456789ABCDEF"), std::string::npos);
}

TEST_F(CertificateInfoTest, HelpersAgreeWithDescribe) {
  std::vector<X509Ptr> certs = loadCertificates(path("rsa.pem"));
  CertificateInfo info = describeCertificate(certs.front().get());

  EXPECT_EQ(sha256Fingerprint(certs.front().get()), info.sha256_hash);
  EXPECT_EQ(subjectOneLine(certs.front().get()), info.subject);
}

TEST_F(CertificateInfoTest, LoadsEveryCertificateOfAPemChainInOrder) {
  std::vector<X509Ptr> certs = loadCertificates(path("chain.pem"));

  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(subjectOneLine(certs[0].get()), "CN=leaf.example");
  EXPECT_EQ(subjectOneLine(certs[1].get()), "CN=Test CA");
}

TEST_F(CertificateInfoTest, LoadsADerCertificate) {
  std::vector<X509Ptr> der = loadCertificates(path("rsa.der"));
  std::vector<X509Ptr> pem = loadCertificates(path("rsa.pem"));

  ASSERT_EQ(der.size(), 1u);
  EXPECT_EQ(sha256Fingerprint(der.front().get()), sha256Fingerprint(pem.front().get()));
}

TEST_F(CertificateInfoTest, SkipsTheKeyInACombinedKeyAndCertificateFile) {
  writeFile(path("combined.pem"), readFile(path("rsa.key")) + readFile(path("rsa.pem")));

  std::vector<X509Ptr> certs = loadCertificates(path("combined.pem"));

  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(subjectOneLine(certs.front().get()), "CN=rsa.example,O=Example Org,C=DE");
}

TEST_F(CertificateInfoTest, MissingFileNamesThePathAndTheSystemError) {
  std::string message = loadError(path("absent.pem"));

  EXPECT_NE(message.find(path("absent.pem")), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
}

TEST_F(CertificateInfoTest, GarbageFileHoldsNoCertificate) {
  writeFile(path("garbage.pem"), "this is not a certificate\n");

  EXPECT_EQ(loadError(path("garbage.pem")),
            path("garbage.pem") + " holds no PEM or DER certificate");
}

TEST_F(CertificateInfoTest, EmptyFileHoldsNoCertificate) {
  writeFile(path("empty.pem"), "");

  EXPECT_EQ(loadError(path("empty.pem")), path("empty.pem") + " holds no PEM or DER certificate");
}

TEST_F(CertificateInfoTest, KeyOnlyFileHoldsNoCertificate) {
  EXPECT_EQ(loadError(path("rsa.key")), path("rsa.key") + " holds no PEM or DER certificate");
}

TEST_F(CertificateInfoTest, CorruptBlockAfterAGoodOneIsAnError) {
  writeFile(path("corrupt.pem"), readFile(path("leaf.pem")) +
                                     "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                     "-----END CERTIFICATE-----\n");

  std::string message = loadError(path("corrupt.pem"));

  EXPECT_NE(message.find(path("corrupt.pem") + ": certificate 2 is malformed"), std::string::npos)
      << message;
}

TEST_F(CertificateInfoTest, CaIssuedCertificateIsNotSelfSigned) {
  CertificateInfo info = describeFile("leaf.pem");

  EXPECT_FALSE(info.self_signed);
  EXPECT_EQ(info.issuer, "CN=Test CA");
  EXPECT_EQ(info.serial_number, "1234");
}

TEST_F(CertificateInfoTest, SubjectEqualToIssuerIsNotEnoughToBeSelfSigned) {
  CertificateInfo info = describeFile("impostor.pem");

  EXPECT_EQ(info.subject, info.issuer);
  EXPECT_FALSE(info.self_signed);
}

TEST_F(CertificateInfoTest, CaCertificateIsSelfSigned) {
  EXPECT_TRUE(describeFile("ca.pem").self_signed);
}

TEST_F(CertificateInfoTest, DescribesAnEcdsaCertificate) {
  CertificateInfo info = describeFile("leaf.pem");

  EXPECT_EQ(info.public_key_algorithm, "id-ecPublicKey");
  EXPECT_EQ(info.signature_algorithm, "ecdsa-with-SHA256");
  EXPECT_EQ(info.bits, 256);
  EXPECT_TRUE(info.subject_alt_names.empty());
}

// The column where the value starts, or npos when a line has no value.
size_t valueColumn(const std::string& line) {
  size_t end_of_name = line.find(' ');
  if (end_of_name == std::string::npos) {
    return std::string::npos;
  }
  return line.find_first_not_of(' ', end_of_name);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    result.push_back(line);
  }
  return result;
}

TEST_F(CertificateInfoTest, FormatUsesTclTlsNamesInOneAlignedColumn) {
  CertificateInfo info = describeFile("rsa.pem");

  std::vector<std::string> text = lines(formatCertificateInfo(info));

  ASSERT_EQ(text.size(), 13u);
  EXPECT_EQ(text[0].rfind("subject ", 0), 0u);
  for (const std::string& line : text) {
    EXPECT_EQ(valueColumn(line), valueColumn(text[0])) << line;
  }
  auto has = [&](const std::string& expected) {
    return std::find(text.begin(), text.end(), expected) != text.end();
  };
  const size_t column = valueColumn(text[0]);
  auto line = [&](const std::string& name, const std::string& value) {
    return name + std::string(column - name.size(), ' ') + value;
  };
  EXPECT_TRUE(has(line("serialNumber", info.serial_number)));
  EXPECT_TRUE(has(line("sha256_hash", info.sha256_hash)));
  EXPECT_TRUE(has(line("bits", "2048")));
  EXPECT_TRUE(has(line("self_signed", "true")));
  EXPECT_TRUE(has(line("subjectAltName",
                       "DNS:rsa.example, DNS:www.rsa.example, "
                       "IP Address:10.0.0.1, URI:spiffe://example.org/rsa")));
}

TEST_F(CertificateInfoTest, FormatFileSeparatesCertificatesWithABlankLine) {
  std::string text = formatCertificateFile(path("chain.pem"));

  std::vector<std::string> all = lines(text);
  ASSERT_EQ(all.size(), 27u);
  EXPECT_EQ(all[13], "");
  EXPECT_NE(all[0].find("CN=leaf.example"), std::string::npos);
  EXPECT_NE(all[14].find("CN=Test CA"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(CertificateInfoTest, FormatFileReportsLoadErrors) {
  EXPECT_THROW(formatCertificateFile(path("absent.pem")), ConfigError);
}

TEST_F(CertificateInfoTest, DescribesAGeneratedCertificate) {
  const std::string cert_path = path("generated/cert.pem");
  ASSERT_TRUE(ensureSelfSigned(cert_path, path("generated/key.pem"), {"gen.example"},
                               {"192.0.2.7", "::1"}));

  std::vector<X509Ptr> certs = loadCertificates(cert_path);
  ASSERT_EQ(certs.size(), 1u);
  CertificateInfo info = describeCertificate(certs.front().get());

  EXPECT_EQ(info.subject, "CN=gen.example");
  EXPECT_EQ(joined(info.subject_alt_names), opensslSubjectAltName("generated/cert.pem"));
  ASSERT_EQ(info.subject_alt_names.size(), 3u);
  EXPECT_EQ(info.subject_alt_names[0], "DNS:gen.example");
  EXPECT_EQ(info.subject_alt_names[1], "IP Address:192.0.2.7");
  EXPECT_EQ(info.serial_number, opensslField("generated/cert.pem", "-serial"));
  EXPECT_EQ(info.sha256_hash,
            withoutColons(opensslField("generated/cert.pem", "-fingerprint -sha256")));
  EXPECT_TRUE(info.self_signed);
  EXPECT_EQ(info.public_key_algorithm, "id-ecPublicKey");
  EXPECT_EQ(info.bits, 256);
}

TEST_F(CertificateInfoTest, BytesFormatAsTheFileDoes) {
  const std::string text = formatCertificates("chain bytes", readFile(path("chain.pem")));

  EXPECT_EQ(text, formatCertificateFile(path("chain.pem")));
  EXPECT_NE(text.find("subject            CN=Test CA"), std::string::npos) << text;
}

TEST_F(CertificateInfoTest, BytesWithoutACertificateNameTheGivenName) {
  try {
    parseCertificates("stdin", "not a certificate");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(), "stdin holds no PEM or DER certificate");
  }
}

// Subject "CN=evil\nsubject" and a URI name holding a line break followed
// by what looks like a subject line of the output.
constexpr const char* kLineBreakInNamesPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBXzCCAQagAwIBAgIBBzAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxldmlsCnN1\n"
    "YmplY3QwHhcNMjYwMTAxMDAwMDAwWhcNMjcwMTAxMDAwMDAwWjAXMRUwEwYDVQQD\n"
    "DAxldmlsCnN1YmplY3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATtpsw1sjPo\n"
    "K3Duu80QyXo7S1a8w49RiTcv7Wp55JMrofER56Mnkos0/L7E92zdOOKbjJPuNfuj\n"
    "so6trCQ/lUcdo0MwQTA/BgNVHREEODA2ggpvay5leGFtcGxlhihzcGlmZmU6Ly94\n"
    "LwpzdWJqZWN0ICAgICAgICAgICAgQ049Zm9yZ2VkMAoGCCqGSM49BAMCA0cAMEQC\n"
    "IA0mRq1jyumAaGCiNaZlgt+XxSSf3GpSyYP62z4ERrOEAiB1YY9GNbtuOp71kJOC\n"
    "mOzJcspQvwVRPWw10pARHpy+Mw==\n"
    "-----END CERTIFICATE-----\n";

TEST_F(CertificateInfoTest, LineBreaksInNamesAreEscapedNotPrinted) {
  const std::string text = formatCertificates("names.pem", kLineBreakInNamesPem);

  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 13) << text;
  EXPECT_NE(text.find("CN=evil\\0Asubject"), std::string::npos) << text;
  EXPECT_NE(text.find("URI:spiffe://x/\\0Asubject            CN=forged"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace tlsgate
