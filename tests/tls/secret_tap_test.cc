#include "tls/secret_tap.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_pki.h"
#include "tls/keylog_file.h"
#include "tls/session_pair.h"
#include "util/file_contents.h"

namespace tlsgate::test {
namespace {

class RecordingTap final : public SecretTap {
 public:
  void onSecret(const DerivedSecret& secret) override {
    seen.push_back(std::string(secret.label) + "|" + std::string(secret.client_random) + "|" +
                   std::string(secret.secret));
  }
  std::vector<std::string> seen;
};

TEST(SecretTapTest, ParsesTheThreeFieldsOfAKeylogLine) {
  const std::optional<DerivedSecret> secret =
      parseKeylogLine("SERVER_TRAFFIC_SECRET_0 0a0b 0c0d0e");
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->label, "SERVER_TRAFFIC_SECRET_0");
  EXPECT_EQ(secret->client_random, "0a0b");
  EXPECT_EQ(secret->secret, "0c0d0e");
}

TEST(SecretTapTest, ALineWithFewerThanThreeFieldsIsNoSecret) {
  EXPECT_FALSE(parseKeylogLine(""));
  EXPECT_FALSE(parseKeylogLine("CLIENT_TRAFFIC_SECRET_0"));
  EXPECT_FALSE(parseKeylogLine("CLIENT_TRAFFIC_SECRET_0 0a0b"));
}

TEST(SecretTapTest, EverySecretReachesEveryTapPresent) {
  RecordingTap first;
  RecordingTap second;
  const std::array<SecretTap*, 3> taps = {&first, nullptr, &second};
  tapSecret("CLIENT_RANDOM 01 02", taps);
  tapSecret("EXPORTER_SECRET 03 04", taps);
  const std::vector<std::string> expected = {"CLIENT_RANDOM|01|02", "EXPORTER_SECRET|03|04"};
  EXPECT_EQ(first.seen, expected);
  EXPECT_EQ(second.seen, expected);
}

TEST(SecretTapTest, AMalformedLineReachesNoTap) {
  RecordingTap tap;
  const std::array<SecretTap*, 1> taps = {&tap};
  tapSecret("CLIENT_RANDOM 01", taps);
  EXPECT_TRUE(tap.seen.empty());
}

class KeylogFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("SSLKEYLOGFILE"); }  // NOLINT(concurrency-mt-unsafe)

  TestPki pki;
  IssuedCertificate server_cert = pki.issue("server", "localhost", {"localhost"});
};

TEST_F(KeylogFileTest, NoFileWithoutKeylogOrSslkeylogfile) {
  EXPECT_EQ(KeylogFile::open(TlsPolicyConfig{}), nullptr);
}

TEST_F(KeylogFileTest, WritesEachSecretAsTheKeylogLineItCameFrom) {
  TlsPolicyConfig config;
  config.keylog.value = pki.dir() + "/lines.log";
  std::unique_ptr<KeylogFile> file = KeylogFile::open(config);
  ASSERT_NE(file, nullptr);
  const std::array<SecretTap*, 1> taps = {file.get()};
  tapSecret("CLIENT_TRAFFIC_SECRET_0 0a0b 0c0d", taps);
  tapSecret("SERVER_TRAFFIC_SECRET_0 0a0b 0e0f", taps);
  EXPECT_EQ(readWholeFile(config.keylog.value).bytes,
            "CLIENT_TRAFFIC_SECRET_0 0a0b 0c0d\nSERVER_TRAFFIC_SECRET_0 0a0b 0e0f\n");
}

// Both consumers of one server handshake's secrets get them: the key log
// file every line, and the session the traffic secrets its record layer
// takes over with.
TEST_F(KeylogFileTest, AServerHandshakeFeedsTheFileAndTheRecordLayer) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.keylog.value = pki.dir() + "/keys.log";
  SessionPair pair(server, clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake());
  EXPECT_TRUE(pair.server->usesRecordLayer());
  const std::string text = readWholeFile(server.keylog.value).bytes;
  for (const char* label : {"CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
                            "CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 "}) {
    EXPECT_NE(text.find(label), std::string::npos) << label;
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(parseKeylogLine(line)) << line;
  }
}

}  // namespace
}  // namespace tlsgate::test
