#include "app/startup.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "config/config_loader.h"
#include "support/test_pki.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

std::string selfSignedConfig(int port) {
  return "listeners:\n"
         "  - name: dev\n"
         "    accept:\n"
         "      address: 127.0.0.1:" +
         std::to_string(port) +
         "\n"
         "      tls:\n"
         "        certificates:\n"
         "          - { cert: dev.pem, key: dev.key, self_signed: true }\n"
         "    connect:\n"
         "      address: 127.0.0.1:8080\n";
}

TEST(StartupTest, CheckAcceptsSelfSignedCertificatesThatDoNotExistYet) {
  test::TestPki pki;
  Config config = ConfigLoader::loadString(selfSignedConfig(8443), "dev.yaml", pki.dir());
  EXPECT_NO_THROW(validateConfig(config));
  // check must not leave files behind where run would create them.
  EXPECT_FALSE(std::filesystem::exists(pki.dir() + "/dev.pem"));
}

TEST(StartupTest, CheckReadsTheAdminToken) {
  test::TestPki pki;
  const std::string config_text =
      "global:\n  admin: { listen: 127.0.0.1:9100, token_file: token }\n" + selfSignedConfig(8443);
  Config config = ConfigLoader::loadString(config_text, "dev.yaml", pki.dir());
  try {
    validateConfig(config);
    FAIL() << "a missing token file passed the check";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("dev.yaml:2:48: global.admin.token_file: cannot read"),
              std::string::npos)
        << e.what();
  }
  pki.writeFile("token", "  s3cret  \n");
  EXPECT_NO_THROW(validateConfig(config));
  pki.writeFile("token", "\n");
  EXPECT_THROW(validateConfig(config), ConfigError);
}

TEST(StartupTest, RunGeneratesSelfSignedCertificatesOnce) {
  test::TestPki pki;
  Config config = ConfigLoader::loadString(selfSignedConfig(8443), "dev.yaml", pki.dir());
  prepareSelfSignedCertificates(config);
  ASSERT_TRUE(std::filesystem::exists(pki.dir() + "/dev.pem"));
  auto written = std::filesystem::last_write_time(pki.dir() + "/dev.pem");
  prepareSelfSignedCertificates(config);
  EXPECT_EQ(std::filesystem::last_write_time(pki.dir() + "/dev.pem"), written);
  EXPECT_NO_THROW(validateConfig(config));
}

TEST(StartupTest, CheckReportsAMissingCertificateWithItsPosition) {
  test::TestPki pki;
  Config config = ConfigLoader::loadString(
      "listeners:\n"
      "  - name: web\n"
      "    accept:\n"
      "      address: 127.0.0.1:8443\n"
      "      tls:\n"
      "        certificates: [{ cert: missing.pem }]\n"
      "    connect: { address: 127.0.0.1:8080 }\n",
      "web.yaml", pki.dir());
  try {
    validateConfig(config);
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("web.yaml:6:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlsgate
