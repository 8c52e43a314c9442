#include "tls/client_cert_policy.h"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

PeerIdentity billing() {
  PeerIdentity identity;
  identity.subject = "CN=billing,O=Example";
  identity.common_name = "billing";
  identity.dns = {"Billing.Internal.Example"};
  identity.uris = {"spiffe://example.org/billing"};
  identity.ips = {"10.0.0.7"};
  identity.sha256 = std::string(64, 'A');
  return identity;
}

using Rule = std::vector<std::string> ClientCertAllow::*;

ClientCertPolicy allowing(Rule rule, std::vector<std::string> values) {
  ClientCertAllow allow;
  allow.*rule = std::move(values);
  return ClientCertPolicy(allow);
}

TEST(ClientCertPolicyTest, NoRulesAdmitEveryVerifiedCertificate) {
  ClientCertPolicy policy{ClientCertAllow{}};
  EXPECT_TRUE(policy.admitsEveryVerifiedCertificate());
  EXPECT_TRUE(policy.admits(billing()));
}

TEST(ClientCertPolicyTest, AnyOneRuleAdmits) {
  const PeerIdentity identity = billing();
  EXPECT_TRUE(allowing(&ClientCertAllow::subject_cn, {"other", "billing"}).admits(identity));
  EXPECT_TRUE(allowing(&ClientCertAllow::san_dns, {"*.internal.example"}).admits(identity));
  EXPECT_TRUE(allowing(&ClientCertAllow::san_dns, {"billing.internal.example"}).admits(identity));
  EXPECT_TRUE(
      allowing(&ClientCertAllow::san_uri, {"spiffe://example.org/billing"}).admits(identity));
  EXPECT_TRUE(allowing(&ClientCertAllow::san_ip, {"10.0.0.7"}).admits(identity));
  EXPECT_TRUE(allowing(&ClientCertAllow::sha256, {std::string(64, 'A')}).admits(identity));
  ClientCertAllow two_rules;
  two_rules.subject_cn = {"nobody"};
  two_rules.san_ip = {"10.0.0.7"};
  EXPECT_TRUE(ClientCertPolicy(two_rules).admits(identity));
}

TEST(ClientCertPolicyTest, NearMissesAreRefused) {
  const PeerIdentity identity = billing();
  EXPECT_FALSE(allowing(&ClientCertAllow::subject_cn, {"Billing"}).admits(identity));
  EXPECT_FALSE(
      allowing(&ClientCertAllow::san_dns, {"*.example"}).admits(identity));  // one label only
  EXPECT_FALSE(
      allowing(&ClientCertAllow::san_dns, {"*.billing.internal.example"}).admits(identity));
  EXPECT_FALSE(
      allowing(&ClientCertAllow::san_uri, {"spiffe://example.org/billing/x"}).admits(identity));
  EXPECT_FALSE(allowing(&ClientCertAllow::san_ip, {"10.0.0.8"}).admits(identity));
  EXPECT_FALSE(allowing(&ClientCertAllow::sha256, {std::string(64, 'B')}).admits(identity));
}

TEST(ClientCertPolicyTest, RefusalNamesTheCertificate) {
  EXPECT_EQ(ClientCertPolicy::refusal(billing()),
            "client certificate CN=billing,O=Example (sha256 " + std::string(64, 'A') +
                ") matched none of the client_certs.allow rules (subject_cn, san_dns, san_uri, "
                "san_ip, sha256)");
}

}  // namespace
}  // namespace tlsgate
