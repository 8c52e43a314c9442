#include "x509/certificate_names.h"

#include <gtest/gtest.h>

#include "support/test_pki.h"
#include "x509/certificate_info.h"

namespace tlsgate::test {
namespace {

X509Ptr leafOf(const IssuedCertificate& issued) {
  return std::move(loadCertificates(issued.cert_path).front());
}

TEST(CertificateNamesTest, SplitsSubjectAltNamesByType) {
  TestPki pki;
  X509Ptr cert = leafOf(pki.issueWithSubjectAltName(
      "mixed", "billing",
      "DNS:Billing.Example,URI:spiffe://example.org/billing,IP:10.0.0.7,IP:2001:db8::7"));
  const CertificateNames names = certificateNames(cert.get());
  EXPECT_EQ(names.common_name, "billing");
  EXPECT_EQ(names.dns, std::vector<std::string>{"Billing.Example"});
  EXPECT_EQ(names.uris, std::vector<std::string>{"spiffe://example.org/billing"});
  EXPECT_EQ(names.ips, (std::vector<std::string>{"10.0.0.7", "2001:db8::7"}));
}

TEST(CertificateNamesTest, ServerNamesAreLowerCaseDnsEntries) {
  TestPki pki;
  X509Ptr cert = leafOf(pki.issue("site", "Ignored.Example", {"WWW.Example.com", "*.Example.com"}));
  EXPECT_EQ(serverNames(cert.get()),
            (std::vector<std::string>{"www.example.com", "*.example.com"}));
}

TEST(CertificateNamesTest, CommonNameServesOnlyWithoutDnsEntries) {
  TestPki pki;
  X509Ptr no_san = leafOf(pki.issue("legacy", "Legacy.Example", {}));
  EXPECT_EQ(serverNames(no_san.get()), std::vector<std::string>{"legacy.example"});
  X509Ptr ip_only = leafOf(pki.issue("ip", "ip.example", {}, {"127.0.0.1"}));
  EXPECT_EQ(serverNames(ip_only.get()), std::vector<std::string>{"ip.example"});
}

}  // namespace
}  // namespace tlsgate::test
