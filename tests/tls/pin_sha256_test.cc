// The connect side's pin_sha256: the backend's leaf must match a pin after
// the chain and name have been verified.
#include <gtest/gtest.h>

#include <string>

#include "tls/session_pair.h"
#include "x509/certificate_info.h"

namespace tlsgate::test {
namespace {

class PinSha256Test : public ::testing::Test {
 protected:
  std::string leafSha256() const {
    return sha256Fingerprint(loadCertificates(server_cert.cert_path).front().get());
  }

  TestPki pki;
  IssuedCertificate server_cert = pki.issue("server", "localhost", {"localhost"});
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
};

TEST_F(PinSha256Test, MatchingPinIsAdmitted) {
  client.pin_sha256 = {std::string(64, '0'), leafSha256()};
  SessionPair pair(serverConfig(server_cert), client);
  ASSERT_TRUE(pair.handshake()) << pair.client->failureReason();
  EXPECT_EQ(pair.client->peerIdentity().sha256, leafSha256());
}

TEST_F(PinSha256Test, MismatchIsRefusedWithTheReason) {
  client.pin_sha256 = {std::string(64, '0')};
  SessionPair pair(serverConfig(server_cert), client);
  EXPECT_FALSE(pair.handshake());
  EXPECT_EQ(pair.client->failureReason(),
            "server certificate CN=localhost (sha256 " + leafSha256() +
                ") matches none of pin_sha256; if the backend's certificate was renewed, pin the "
                "new one (see sha256_hash in `tlsgate cert-info FILE`)");
  pair.pump();
  EXPECT_EQ(pair.server->handshake().status, TlsStatus::failed);
  EXPECT_EQ(pair.server->failureReason(), "peer rejected our certificate (alert: bad certificate)");
}

TEST_F(PinSha256Test, PinDoesNotReplaceChainVerification) {
  TestPki stranger("stranger CA");
  client.cafile.value = stranger.caPath();
  client.pin_sha256 = {leafSha256()};
  SessionPair pair(serverConfig(server_cert), client);
  EXPECT_FALSE(pair.handshake());
  EXPECT_NE(pair.client->failureReason().find("certificate verify failed at depth 1"),
            std::string::npos)
      << pair.client->failureReason();
}

}  // namespace
}  // namespace tlsgate::test
