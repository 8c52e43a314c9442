#include "tls/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "support/test_pki.h"
#include "tls/client_tls_context.h"
#include "tls/session_pair.h"
#include "util/config_error.h"
#include "x509/certificate_info.h"

namespace tlsgate::test {
namespace {

std::string errorOf(const ServerTlsConfig& config) {
  try {
    ServerTlsContext::create(config);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// Re-writes `key_path` encrypted with AES-256 under `password`.
std::string encryptKey(const TestPki& pki, const std::string& key_path,
                       const std::string& password) {
  std::FILE* in = std::fopen(key_path.c_str(), "r");
  EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
  std::fclose(in);
  std::string path = pki.dir() + "/encrypted.key";
  std::FILE* out = std::fopen(path.c_str(), "w");
  PEM_write_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), password.data(),
                            static_cast<int>(password.size()), nullptr, nullptr);
  std::fclose(out);
  EVP_PKEY_free(key);
  return path;
}

// Collects what tlsgate logs while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  CapturedLog(CapturedLog&&) = delete;
  CapturedLog& operator=(CapturedLog&&) = delete;

  std::string text() const { return stream_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream stream_;
};

// Writes the leaf of `issued` and its key in DER, next to the PEM files.
IssuedCertificate derCopy(const IssuedCertificate& issued) {
  IssuedCertificate der{issued.cert_path + ".der", issued.key_path + ".der"};
  X509Ptr cert = std::move(loadCertificates(issued.cert_path).front());
  std::FILE* in = std::fopen(issued.key_path.c_str(), "r");
  EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
  std::fclose(in);
  std::FILE* out = std::fopen(der.cert_path.c_str(), "wb");
  i2d_X509_fp(out, cert.get());
  std::fclose(out);
  out = std::fopen(der.key_path.c_str(), "wb");
  i2d_PrivateKey_fp(out, key);
  std::fclose(out);
  ::chmod(der.key_path.c_str(), 0600);
  EVP_PKEY_free(key);
  return der;
}

class TlsContextTest : public ::testing::Test {
 protected:
  TestPki pki;
  IssuedCertificate server_cert = pki.issue("server", "localhost", {"localhost"});
};

TEST_F(TlsContextTest, MissingCertificateNamesFileAndPosition) {
  ServerTlsConfig config = serverConfig(server_cert);
  config.certificates[0].cert = {"/nonexistent/site.pem", SourceMark{"tlsgate.yaml", 12, 17}};
  std::string error = errorOf(config);
  EXPECT_NE(error.find("tlsgate.yaml:12:17: cert: "), std::string::npos) << error;
  EXPECT_NE(error.find("/nonexistent/site.pem"), std::string::npos) << error;
}

TEST_F(TlsContextTest, MismatchedKeyIsRejected) {
  IssuedCertificate other = pki.issue("other", "other", {"other"});
  ServerTlsConfig config = serverConfig(server_cert);
  config.certificates[0].key.value = other.key_path;
  EXPECT_NE(errorOf(config).find("do not go together"), std::string::npos);
}

TEST_F(TlsContextTest, EncryptedKeyWithPasswordFromEnvironment) {
  ServerTlsConfig config = serverConfig(server_cert);
  config.certificates[0].key.value = encryptKey(pki, server_cert.key_path, "s3cret");
  config.certificates[0].password = PasswordSource{};
  config.certificates[0].password->env = Located<std::string>{"TLSGATE_TEST_KEY_PASSWORD", {}};
  ::setenv("TLSGATE_TEST_KEY_PASSWORD", "s3cret", 1);
  EXPECT_NO_THROW(ServerTlsContext::create(config));
  ::setenv("TLSGATE_TEST_KEY_PASSWORD", "wrong", 1);
  EXPECT_NE(errorOf(config).find("wrong password"), std::string::npos);
  ::unsetenv("TLSGATE_TEST_KEY_PASSWORD");
  EXPECT_NE(errorOf(config).find("TLSGATE_TEST_KEY_PASSWORD is not set"), std::string::npos);
}

TEST_F(TlsContextTest, KeyAfterTheCertificateInOneFileIsFound) {
  // cat cert.pem key.pem: the order stunnel's, hitch's and haproxy's users
  // often write, and which `tlsgate import` hands over as it is.
  const auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  ServerTlsConfig config = serverConfig(server_cert);
  config.certificates[0].cert.value =
      pki.writeFile("cert-then-key.pem", read(server_cert.cert_path) + read(server_cert.key_path));
  config.certificates[0].key.value.clear();
  EXPECT_NO_THROW(ServerTlsContext::create(config)) << errorOf(config);
  // Encrypted, after the certificate, with its password.
  config.certificates[0].cert.value = pki.writeFile(
      "cert-then-encrypted-key.pem",
      read(server_cert.cert_path) + read(encryptKey(pki, server_cert.key_path, "s3cret")));
  config.certificates[0].password = PasswordSource{};
  config.certificates[0].password->env = Located<std::string>{"TLSGATE_TEST_KEY_PASSWORD", {}};
  ::setenv("TLSGATE_TEST_KEY_PASSWORD", "s3cret", 1);
  EXPECT_NO_THROW(ServerTlsContext::create(config)) << errorOf(config);
  ::setenv("TLSGATE_TEST_KEY_PASSWORD", "wrong", 1);
  EXPECT_NE(errorOf(config).find("wrong password"), std::string::npos);
  ::unsetenv("TLSGATE_TEST_KEY_PASSWORD");
  // A file with no key at all still says so.
  config.certificates[0].password.reset();
  config.certificates[0].cert.value = server_cert.cert_path;
  EXPECT_NE(errorOf(config).find("no private key found"), std::string::npos);
}

TEST_F(TlsContextTest, EncryptedKeyWithPasswordFromFile) {
  ServerTlsConfig config = serverConfig(server_cert);
  config.certificates[0].key.value = encryptKey(pki, server_cert.key_path, "from a file");
  config.certificates[0].password = PasswordSource{};
  config.certificates[0].password->file =
      LocatedPath{pki.writeFile("keypass", "from a file\n"), {}};
  EXPECT_NO_THROW(ServerTlsContext::create(config));
}

TEST_F(TlsContextTest, EncryptedKeyWithoutPasswordSaysSo) {
  ServerTlsConfig config = serverConfig(server_cert);
  config.certificates[0].key.value = encryptKey(pki, server_cert.key_path, "s3cret");
  EXPECT_NE(errorOf(config).find("set password"), std::string::npos);
}

TEST_F(TlsContextTest, BadCipherStringsNameTheKey) {
  ServerTlsConfig config = serverConfig(server_cert);
  config.cipher = "NOT-A-CIPHER";
  EXPECT_NE(errorOf(config).find("cipher: "), std::string::npos);
  config.cipher.clear();
  config.ciphersuites = "TLS_NOPE";
  EXPECT_NE(errorOf(config).find("ciphersuites: "), std::string::npos);
  config.ciphersuites.clear();
  config.groups = "P-999";
  EXPECT_NE(errorOf(config).find("groups: "), std::string::npos);
}

TEST_F(TlsContextTest, ClientUsesAddressHostAsServernameButNotAnIp) {
  ClientTlsConfig config = clientConfig(pki.caPath(), "");
  auto named = ClientTlsContext::create(config, "backend.example");
  EXPECT_EQ(named->servername(), "backend.example");
  EXPECT_EQ(named->verifyName(), "backend.example");
  auto by_ip = ClientTlsContext::create(config, "127.0.0.1");
  EXPECT_EQ(by_ip->servername(), "");  // no SNI for an IP address
  EXPECT_EQ(by_ip->verifyName(), "127.0.0.1");
}

TEST_F(TlsContextTest, KeyReadableByOthersIsWarnedAbout) {
  ServerTlsConfig config = serverConfig(server_cert);
  config.certificates[0].key.mark = SourceMark{"tlsgate.yaml", 7, 14};
  {
    CapturedLog log;
    ServerTlsContext::create(config);
    EXPECT_EQ(log.text().find("private key"), std::string::npos) << log.text();
  }
  ASSERT_EQ(::chmod(server_cert.key_path.c_str(), 0640), 0);
  {
    CapturedLog log;
    ServerTlsContext::create(config);
    EXPECT_NE(log.text().find("tlsgate.yaml:7:14: private key file " + server_cert.key_path +
                              " can be read by its group; restrict it with chmod 600"),
              std::string::npos)
        << log.text();
  }
  ASSERT_EQ(::chmod(server_cert.key_path.c_str(), 0604), 0);
  CapturedLog log;
  ServerTlsContext::create(config);
  EXPECT_NE(log.text().find("can be read by any user"), std::string::npos) << log.text();
}

TEST_F(TlsContextTest, DerCertificateAndKeyServeHandshakes) {
  IssuedCertificate der = derCopy(server_cert);
  SessionPair pair(serverConfig(der), clientConfig(pki.caPath(), "localhost"));
  // The DER file holds only the leaf, which the CA verifies directly.
  ASSERT_TRUE(pair.handshake()) << pair.client->failureReason() << pair.server->failureReason();
  EXPECT_EQ(pair.client->peerSubject(), "CN=localhost");
}

TEST_F(TlsContextTest, KeylogWritesPrivateFile) {
  ServerTlsConfig server = serverConfig(server_cert);
  server.keylog.value = pki.dir() + "/keys.log";
  SessionPair pair(server, clientConfig(pki.caPath(), "localhost"));
  ASSERT_TRUE(pair.handshake());
  std::ifstream in(server.keylog.value);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(server.keylog.value.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
}

}  // namespace
}  // namespace tlsgate::test
