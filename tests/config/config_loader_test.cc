#include "config/config_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "load_error.h"

namespace tlsgate {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::errorIs;
using testing::kMinimalListeners;
using testing::load;
using testing::loadError;

TEST(ConfigLoaderTest, FullValidExample) {
  const Config config = load(R"(global:
  workers: 4
  user: tlsgate
  group: nogroup
  log: { level: debug, format: json, file: logs/tlsgate.log }
  timeouts: { handshake: 5s, connect: 500ms, idle: 5m, close: 10s, drain: 1h }
  limits: { max_connections: 2000, buffer_size: 32k }
  tls_defaults:
    protocols: [tls1.3]
listeners:
  - name: web
    accept:
      address: 0.0.0.0:443
      tls:
        certificates:
          - cert: /etc/ssl/site.pem
            key: site.key
            password: { file: secrets/keypass }
          - cert: other.pem
        alpn: [h2, http/1.1]
        cipher: "ECDHE+AESGCM"
        ciphersuites: "TLS_AES_128_GCM_SHA256"
        groups: "X25519:P-256"
        security_level: 3
        client_certs: { mode: require, cafile: clients-ca.pem, verify_depth: 2 }
    connect:
      address: 127.0.0.1:8080
  - name: origin
    accept:
      address: unix:/run/tlsgate/origin.sock
    connect:
      address: "[2001:db8::1]:443"
      tls:
        servername: api.example.com
        peer_name: api-internal.example.com
        cafile: ca.pem
        cert: client.pem
        key: client.key
        password: { env: CLIENT_KEY_PASS }
        keylog: /tmp/keys.log
)");
  EXPECT_EQ(config.path, "test.yaml");
  const GlobalConfig& g = config.global;
  EXPECT_EQ(g.workers, 4);
  EXPECT_EQ(g.user, "tlsgate");
  EXPECT_EQ(g.group, "nogroup");
  EXPECT_EQ(g.log.level, "debug");
  EXPECT_EQ(g.log.format, LogFormat::json);
  EXPECT_EQ(g.log.file, "/etc/tlsgate/logs/tlsgate.log");
  EXPECT_EQ(g.timeouts.handshake, seconds(5));
  EXPECT_EQ(g.timeouts.connect, milliseconds(500));
  EXPECT_EQ(g.timeouts.idle, minutes(5));
  EXPECT_EQ(g.timeouts.close, seconds(10));
  EXPECT_EQ(g.timeouts.drain, hours(1));
  EXPECT_EQ(g.limits.max_connections, 2000u);
  EXPECT_EQ(g.limits.buffer_size, 32u * 1024);

  ASSERT_EQ(config.listeners.size(), 2u);
  const ListenerConfig& web = config.listeners[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.mark.str(), "test.yaml:11:5");
  EXPECT_EQ(web.accept.address.host, "0.0.0.0");
  EXPECT_EQ(web.accept.address.port, 443);
  EXPECT_EQ(web.accept.address.mark.str(), "test.yaml:13:16");
  ASSERT_TRUE(web.accept.tls.has_value());
  const ServerTlsConfig& server = *web.accept.tls;
  EXPECT_EQ(server.mark.str(), "test.yaml:15:9");
  ASSERT_EQ(server.certificates.size(), 2u);
  EXPECT_EQ(server.certificates[0].cert.value, "/etc/ssl/site.pem");
  EXPECT_EQ(server.certificates[0].cert.mark.str(), "test.yaml:16:19");
  EXPECT_EQ(server.certificates[0].key.value, "/etc/tlsgate/site.key");
  ASSERT_TRUE(server.certificates[0].password.has_value());
  ASSERT_TRUE(server.certificates[0].password->file.has_value());
  EXPECT_EQ(server.certificates[0].password->file->value, "/etc/tlsgate/secrets/keypass");
  EXPECT_FALSE(server.certificates[0].password->env.has_value());
  EXPECT_EQ(server.certificates[1].cert.value, "/etc/tlsgate/other.pem");
  EXPECT_EQ(server.certificates[1].key.value, "");
  EXPECT_FALSE(server.certificates[1].self_signed);
  EXPECT_EQ(server.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(server.cipher, "ECDHE+AESGCM");
  EXPECT_EQ(server.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(server.groups, "X25519:P-256");
  EXPECT_EQ(server.security_level, 3);
  EXPECT_EQ(server.protocols, std::vector<TlsProtocol>{TlsProtocol::tls1_3});
  EXPECT_EQ(server.client_certs.mode, ClientCertMode::require);
  EXPECT_EQ(server.client_certs.cafile.value, "/etc/tlsgate/clients-ca.pem");
  EXPECT_EQ(server.client_certs.verify_depth, 2);
  EXPECT_EQ(web.connect.address().host, "127.0.0.1");
  EXPECT_EQ(web.connect.address().port, 8080);
  EXPECT_FALSE(web.connect.tls.has_value());

  const ListenerConfig& origin = config.listeners[1];
  EXPECT_TRUE(origin.accept.address.isUnix());
  EXPECT_EQ(origin.accept.address.unix_path, "/run/tlsgate/origin.sock");
  EXPECT_FALSE(origin.accept.tls.has_value());
  EXPECT_EQ(origin.connect.address().host, "2001:db8::1");
  EXPECT_EQ(origin.connect.address().port, 443);
  ASSERT_TRUE(origin.connect.tls.has_value());
  const ClientTlsConfig& client = *origin.connect.tls;
  EXPECT_EQ(client.servername, "api.example.com");
  EXPECT_EQ(client.peer_name, "api-internal.example.com");
  EXPECT_TRUE(client.verify);
  EXPECT_EQ(client.cafile.value, "/etc/tlsgate/ca.pem");
  EXPECT_EQ(client.protocols, std::vector<TlsProtocol>{TlsProtocol::tls1_3});
  ASSERT_TRUE(client.client_certificate.has_value());
  EXPECT_EQ(client.client_certificate->cert.value, "/etc/tlsgate/client.pem");
  EXPECT_EQ(client.client_certificate->key.value, "/etc/tlsgate/client.key");
  ASSERT_TRUE(client.client_certificate->password.has_value());
  ASSERT_TRUE(client.client_certificate->password->env.has_value());
  EXPECT_EQ(client.client_certificate->password->env->value, "CLIENT_KEY_PASS");
  EXPECT_EQ(client.keylog.value, "/tmp/keys.log");
}

TEST(ConfigLoaderTest, DefaultsWhenGlobalIsLeftOut) {
  const Config config = load(kMinimalListeners);
  const GlobalConfig& g = config.global;
  EXPECT_EQ(g.workers, 0);
  EXPECT_EQ(g.user, "");
  EXPECT_EQ(g.log.level, "info");
  EXPECT_EQ(g.log.format, LogFormat::text);
  EXPECT_EQ(g.log.file, "stderr");
  EXPECT_EQ(g.timeouts.handshake, seconds(10));
  EXPECT_EQ(g.timeouts.idle, hours(1));
  EXPECT_EQ(g.limits.max_connections, 100000u);
  EXPECT_EQ(g.limits.buffer_size, 64u * 1024);
  EXPECT_EQ(g.limits.max_handshakes, 1024u);
  EXPECT_EQ(g.limits.record_layer_after, seconds(1));
  const ServerTlsConfig& tls = *config.listeners[0].accept.tls;
  EXPECT_EQ(tls.protocols, (std::vector<TlsProtocol>{TlsProtocol::tls1_2, TlsProtocol::tls1_3}));
  EXPECT_EQ(tls.security_level, 2);
  EXPECT_EQ(tls.client_certs.mode, ClientCertMode::none);
  EXPECT_EQ(tls.client_certs.verify_depth, 4);
}

TEST(ConfigLoaderTest, WorkersAutoAndLogSpecialFiles) {
  const Config config =
      load(std::string("global:\n  workers: auto\n  log: { file: syslog }\n") + kMinimalListeners);
  EXPECT_EQ(config.global.workers, 0);
  EXPECT_EQ(config.global.log.file, "syslog");
}

// ---------------------------------------------------------------- unknown keys

// A value is quoted in its error as it is, but for control bytes: a line
// break or an escape sequence in the file cannot forge a line of the
// message or drive the terminal it is printed on.
TEST(ConfigLoaderTest, AnErrorQuotesControlBytesAsEscapes) {
  const std::string message = loadError(
      "listeners:\n"
      "  - name: a\n"
      "    accept: { address: \"127.0.0.1:84\\e[31m\\r\\n43\" }\n"
      "    connect: { address: 127.0.0.1:80 }\n");
  EXPECT_TRUE(errorIs(message, "test.yaml:3:", "'84\\x1b[31m\\x0d\\x0a43'"));
  EXPECT_EQ(std::count_if(message.begin(), message.end(),
                          [](char c) { return static_cast<unsigned char>(c) < 0x20; }),
            0)
      << message;
}

TEST(ConfigLoaderTest, UnknownKeySuggestsTheClosestOne) {
  EXPECT_EQ(loadError(std::string("global:\n  workers: 2\n  timeouts:\n    handshak: 10s\n") +
                      kMinimalListeners),
            "test.yaml:4:5: global.timeouts.handshak: unknown key; did you mean 'handshake'?");
}

TEST(ConfigLoaderTest, UnknownKeyWithoutCloseMatchListsTheKeys) {
  EXPECT_EQ(loadError(std::string("global:\n  log:\n    verbosity: 3\n") + kMinimalListeners),
            "test.yaml:3:5: global.log.verbosity: unknown key (expected one of: level, format, "
            "file)");
}

TEST(ConfigLoaderTest, UnknownKeyInAListener) {
  EXPECT_EQ(loadError(R"(listeners:
  - name: web
    acept:
      address: 127.0.0.1:8443
)"),
            "test.yaml:3:5: listeners[0].acept: unknown key; did you mean 'accept'?");
}

TEST(ConfigLoaderTest, UnknownTopLevelKey) {
  EXPECT_TRUE(errorIs(loadError(std::string(kMinimalListeners) + "globals: {}\n"),
                      "test.yaml:10:1: globals: ", "did you mean 'global'?"));
}

TEST(ConfigLoaderTest, AdminOnLoopbackOrUnixSocket) {
  Config config = ConfigLoader::loadString(
      std::string("global:\n  admin: { listen: 127.0.0.1:9100 }\n  watch: true\n") +
          kMinimalListeners,
      "test.yaml");
  ASSERT_TRUE(config.global.admin.listen);
  EXPECT_EQ(config.global.admin.listen->host, "127.0.0.1");
  EXPECT_EQ(config.global.admin.listen->port, 9100);
  EXPECT_TRUE(config.global.watch);
  Config unix_config = ConfigLoader::loadString(
      std::string("global:\n  admin: { listen: unix:/run/tlsgate/admin.sock }\n") +
          kMinimalListeners,
      "test.yaml");
  EXPECT_EQ(unix_config.global.admin.listen->unix_path, "/run/tlsgate/admin.sock");
  EXPECT_FALSE(unix_config.global.watch);
}

TEST(ConfigLoaderTest, RemoteAdminNeedsAllowRemoteAndToken) {
  EXPECT_TRUE(errorIs(
      loadError(std::string("global:\n  admin: { listen: 0.0.0.0:9100 }\n") + kMinimalListeners),
      "test.yaml:2:20: global.admin.listen: ", "needs allow_remote: true and a token_file"));
  EXPECT_TRUE(errorIs(loadError(std::string("global:\n  admin: { listen: 0.0.0.0:9100, "
                                            "allow_remote: true }\n") +
                                kMinimalListeners),
                      "test.yaml:2:20: global.admin.listen: ", "needs token_file"));
  Config config = ConfigLoader::loadString(
      std::string("global:\n  admin: { listen: 0.0.0.0:9100, allow_remote: true, token_file: "
                  "/run/secrets/admin-token }\n") +
          kMinimalListeners,
      "test.yaml");
  EXPECT_TRUE(config.global.admin.allow_remote);
  EXPECT_EQ(config.global.admin.token_file.value, "/run/secrets/admin-token");
}

TEST(ConfigLoaderTest, MaxConnectionsRemembersThatItWasSet) {
  Config unset = ConfigLoader::loadString(kMinimalListeners, "test.yaml");
  EXPECT_FALSE(unset.global.limits.max_connections_set);
  EXPECT_TRUE(unset.global.limits.strict_fd_limit);
  Config set = ConfigLoader::loadString(
      std::string("global:\n  limits: { max_connections: 50, strict_fd_limit: false }\n") +
          kMinimalListeners,
      "test.yaml");
  EXPECT_TRUE(set.global.limits.max_connections_set);
  EXPECT_EQ(set.global.limits.max_connections, 50U);
  EXPECT_EQ(set.global.limits.max_connections_mark.line, 2);
  EXPECT_FALSE(set.global.limits.strict_fd_limit);
}

TEST(ConfigLoaderTest, RepeatedKeyIsAnError) {
  EXPECT_EQ(loadError(std::string("global:\n  workers: 2\n  workers: 3\n") + kMinimalListeners),
            "test.yaml:3:3: global.workers: is set twice in the same map");
}

// ---------------------------------------------------------------- values

TEST(ConfigLoaderTest, DurationWithoutUnit) {
  EXPECT_EQ(loadError(std::string("global:\n  timeouts:\n    handshake: 10\n") + kMinimalListeners),
            "test.yaml:3:16: global.timeouts.handshake: '10' has no unit; add one, e.g. 10s or "
            "10ms");
}

TEST(ConfigLoaderTest, DurationMustBePositive) {
  EXPECT_EQ(loadError(std::string("global:\n  timeouts: { idle: 0s }\n") + kMinimalListeners),
            "test.yaml:2:21: global.timeouts.idle: must be longer than zero");
}

TEST(ConfigLoaderTest, BufferSizeBounds) {
  EXPECT_EQ(load(std::string("global:\n  limits: { buffer_size: 64m }\n") + kMinimalListeners)
                .global.limits.buffer_size,
            64u * 1024 * 1024);
  EXPECT_EQ(load(std::string("global:\n  limits: { buffer_size: 4096 }\n") + kMinimalListeners)
                .global.limits.buffer_size,
            4096u);
  EXPECT_TRUE(errorIs(
      loadError(std::string("global:\n  limits: { buffer_size: 1k }\n") + kMinimalListeners),
      "test.yaml:2:26: global.limits.buffer_size: ", "must be from 4096 to 67108864"));
  EXPECT_TRUE(errorIs(
      loadError(std::string("global:\n  limits: { buffer_size: 65m }\n") + kMinimalListeners),
      "test.yaml:2:26: global.limits.buffer_size: ", "must be from 4096"));
}

TEST(ConfigLoaderTest, MaxHandshakesBounds) {
  EXPECT_EQ(load(std::string("global:\n  limits: { max_handshakes: 64 }\n") + kMinimalListeners)
                .global.limits.max_handshakes,
            64u);
  EXPECT_TRUE(errorIs(
      loadError(std::string("global:\n  limits: { max_handshakes: 0 }\n") + kMinimalListeners),
      "test.yaml:2:29: global.limits.max_handshakes: ", "must be from 1 to 1000000"));
  EXPECT_TRUE(errorIs(
      loadError(std::string("global:\n  limits: { max_handshakes: many }\n") + kMinimalListeners),
      "test.yaml:2:29: global.limits.max_handshakes: ", ""));
}

TEST(ConfigLoaderTest, RecordLayerAfterTakesADurationOrOff) {
  auto after = [](const std::string& value) {
    return load("global:\n  limits: { record_layer_after: " + value + " }\n" + kMinimalListeners)
        .global.limits.record_layer_after;
  };
  EXPECT_EQ(after("0s"), Duration::zero());
  EXPECT_EQ(after("250ms"), milliseconds(250));
  EXPECT_EQ(after("off"), std::nullopt);
  EXPECT_TRUE(errorIs(loadError(std::string("global:\n  limits: { record_layer_after: soon }\n") +
                                kMinimalListeners),
                      "test.yaml:2:33: global.limits.record_layer_after: ", "; or off"));
}

TEST(ConfigLoaderTest, WrongTypeList) {
  EXPECT_EQ(loadError("listeners: { name: web }\n"), "test.yaml:1:12: listeners: expected a list");
}

TEST(ConfigLoaderTest, WrongTypeMap) {
  EXPECT_EQ(loadError(std::string("global:\n  log: [info]\n") + kMinimalListeners),
            "test.yaml:2:8: global.log: expected a map (key: value pairs)");
}

TEST(ConfigLoaderTest, WrongTypeNumber) {
  EXPECT_EQ(
      loadError(std::string("global:\n  limits:\n    max_connections: lots\n") + kMinimalListeners),
      "test.yaml:3:22: global.limits.max_connections: expected a number, not 'lots'");
  EXPECT_EQ(loadError(std::string("global:\n  workers: [1]\n") + kMinimalListeners),
            "test.yaml:2:12: global.workers: expected auto or a number");
  EXPECT_EQ(loadError(std::string("global:\n  workers: 0\n") + kMinimalListeners),
            "test.yaml:2:12: global.workers: must be from 1 to 1024, not 0");
}

TEST(ConfigLoaderTest, WrongTypeBool) {
  EXPECT_EQ(loadError(R"(listeners:
  - name: web
    accept:
      address: 127.0.0.1:8443
    connect:
      address: 127.0.0.1:8080
      tls:
        verify: yes
)"),
            "test.yaml:8:17: listeners[0].connect.tls.verify: expected true or false");
}

TEST(ConfigLoaderTest, EmptyValueReportsTheKeyPosition) {
  // yaml-cpp places an empty value at the next token; the key is where the user looks.
  EXPECT_EQ(loadError(std::string("global:\n  user:\n") + kMinimalListeners),
            "test.yaml:2:3: global.user: expected a string");
}

TEST(ConfigLoaderTest, BadEnumValues) {
  EXPECT_TRUE(
      errorIs(loadError(std::string("global:\n  log: { level: verbose }\n") + kMinimalListeners),
              "test.yaml:2:17: global.log.level: ", "expected trace, debug, info"));
  EXPECT_TRUE(
      errorIs(loadError(std::string("global:\n  log: { format: xml }\n") + kMinimalListeners),
              "test.yaml:2:18: global.log.format: ", "expected text or json"));
}

// ---------------------------------------------------------------- documents and files

TEST(ConfigLoaderTest, YamlSyntaxErrorHasAPosition) {
  EXPECT_EQ(loadError("global:\n  workers: [1, 2\nlisteners: []\n"),
            "test.yaml:3:10: YAML syntax error: end of sequence flow not found");
}

TEST(ConfigLoaderTest, EmptyDocument) {
  EXPECT_EQ(loadError(""),
            "test.yaml: the configuration is empty; it needs at least a listeners: list");
}

TEST(ConfigLoaderTest, MissingAndEmptyListeners) {
  EXPECT_EQ(loadError("global: { workers: 1 }\n"),
            "test.yaml:1:1: missing required key 'listeners'");
  EXPECT_EQ(loadError("listeners: []\n"), "test.yaml:1:12: listeners: needs at least one listener");
}

TEST(ConfigLoaderTest, ListenerNeedsNameAcceptAndConnect) {
  EXPECT_EQ(loadError("listeners:\n  - accept: { address: 127.0.0.1:1 }\n"),
            "test.yaml:2:5: listeners[0]: missing required key 'name'");
  EXPECT_EQ(loadError("listeners:\n  - name: a\n    accept: { address: 127.0.0.1:1 }\n"),
            "test.yaml:2:5: listeners[0]: missing required key 'connect'");
  EXPECT_EQ(loadError("listeners:\n  - name: a\n    accept: {}\n    connect: {}\n"),
            "test.yaml:3:13: listeners[0].accept: missing required key 'address'");
}

TEST(ConfigLoaderTest, MissingFile) {
  try {
    ConfigLoader::loadFile("/nonexistent/tlsgate.yaml");
    FAIL() << "loaded a missing file";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot read config file /nonexistent/tlsgate.yaml: No such file or directory");
  }
}

TEST(ConfigLoaderTest, DirectoryInsteadOfFile) {
  try {
    ConfigLoader::loadFile("/tmp");
    FAIL() << "loaded a directory";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cannot read config file /tmp: Is a directory");
  }
}

// A private directory with a config file in it, removed at the end.
class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tlsgate-config-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, RelativePathsResolveAgainstTheFilesDirectory) {
  const std::string path = write("etc/tlsgate.yaml", std::string(kMinimalListeners));
  const Config config = ConfigLoader::loadFile(path);
  EXPECT_EQ(config.path, path);
  EXPECT_EQ(config.listeners[0].accept.tls->certificates[0].cert.value,
            (dir_ / "etc" / "site.pem").string());
  EXPECT_EQ(config.listeners[0].accept.tls->certificates[0].cert.mark.str(), path + ":7:19");
}

TEST_F(ConfigFileTest, RelativeConfigPathStillGivesAbsoluteFilePaths) {
  write("tlsgate.yaml", std::string(kMinimalListeners));
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  const Config config = ConfigLoader::loadFile("tlsgate.yaml");
  std::filesystem::current_path(previous);
  EXPECT_EQ(config.listeners[0].accept.tls->certificates[0].cert.value,
            (dir_ / "site.pem").string());
}

TEST_F(ConfigFileTest, ErrorsNameTheFile) {
  const std::string path = write("bad.yaml", "listeners: 3\n");
  try {
    ConfigLoader::loadFile(path);
    FAIL() << "loaded a bad file";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":1:12: listeners: expected a list");
  }
}

TEST(ConfigLoaderTest, RelativePathsInLoadStringUseBaseDir) {
  const Config config = ConfigLoader::loadString(R"(listeners:
  - name: web
    accept:
      address: 127.0.0.1:8443
      tls:
        certificates:
          - { cert: ../certs/site.pem, key: ./keys/site.key }
        cafile: /abs/ca.pem
        cadir: cas
    connect:
      address: 127.0.0.1:8080
)",
                                                 "inline", "/srv/app/conf");
  const ServerTlsConfig& tls = *config.listeners[0].accept.tls;
  EXPECT_EQ(tls.certificates[0].cert.value, "/srv/app/certs/site.pem");
  EXPECT_EQ(tls.certificates[0].key.value, "/srv/app/conf/keys/site.key");
  EXPECT_EQ(tls.cafile.value, "/abs/ca.pem");
  EXPECT_EQ(tls.cadir.value, "/srv/app/conf/cas");
  EXPECT_EQ(tls.cadir.mark.str(), "inline:9:16");
}

// ---------------------------------------------------------------- ${VAR}

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  // The tests run on one thread, so changing the environment is safe here.
  ScopedEnv(const char* name, const char* value) : name_(name) {
    setenv(name, value, 1);  // NOLINT(concurrency-mt-unsafe)
  }
  ~ScopedEnv() { unsetenv(name_); }  // NOLINT(concurrency-mt-unsafe)
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ScopedEnv(ScopedEnv&&) = delete;
  ScopedEnv& operator=(ScopedEnv&&) = delete;

 private:
  const char* name_;
};

TEST(ConfigLoaderTest, EnvironmentVariablesInScalars) {
  ScopedEnv host("TLSGATE_TEST_HOST", "10.1.2.3");
  ScopedEnv port("TLSGATE_TEST_PORT", "9443");
  ScopedEnv workers("TLSGATE_TEST_WORKERS", "3");
  unsetenv("TLSGATE_TEST_UNSET");  // NOLINT(concurrency-mt-unsafe)
  const Config config = load(R"(global:
  workers: ${TLSGATE_TEST_WORKERS}
  timeouts: { idle: "${TLSGATE_TEST_UNSET:-90}s" }
listeners:
  - name: ${TLSGATE_TEST_UNSET:-web}
    accept:
      address: ${TLSGATE_TEST_HOST}:${TLSGATE_TEST_PORT}
    connect:
      address: ${TLSGATE_TEST_UNSET:-127.0.0.1}:8080
      tls: { servername: "price$$list.example" }
)");
  EXPECT_EQ(config.global.workers, 3);
  EXPECT_EQ(config.global.timeouts.idle, seconds(90));
  const ListenerConfig& web = config.listeners[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.accept.address.host, "10.1.2.3");
  EXPECT_EQ(web.accept.address.port, 9443);
  EXPECT_EQ(web.connect.address().host, "127.0.0.1");
  EXPECT_EQ(web.connect.tls->servername, "price$list.example");
}

TEST(ConfigLoaderTest, DefaultAppliesToAnEmptyVariable) {
  ScopedEnv empty("TLSGATE_TEST_EMPTY", "");
  const Config config =
      load(std::string("global:\n  user: ${TLSGATE_TEST_EMPTY:-nobody}\n") + kMinimalListeners);
  EXPECT_EQ(config.global.user, "nobody");
}

TEST(ConfigLoaderTest, UnsetVariableIsAnErrorAtItsScalar) {
  unsetenv("TLSGATE_TEST_UNSET");  // NOLINT(concurrency-mt-unsafe)
  EXPECT_EQ(loadError(R"(listeners:
  - name: web
    accept:
      address: 127.0.0.1:${TLSGATE_TEST_UNSET}
    connect:
      address: 127.0.0.1:8080
)"),
            "test.yaml:4:16: listeners[0].accept.address: environment variable TLSGATE_TEST_UNSET "
            "is not set (set it, or write ${TLSGATE_TEST_UNSET:-default} to give a default)");
}

// ---------------------------------------------------------------- addresses and listeners

std::string listenerWithAccept(const std::string& address) {
  return "listeners:\n  - name: web\n    accept:\n      address: " + address +
         "\n    connect:\n      address: 127.0.0.1:8080\n";
}

TEST(ConfigLoaderTest, AddressForms) {
  Address a = load(listenerWithAccept("\"[::1]:8443\"")).listeners[0].accept.address;
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 8443);
  a = load(listenerWithAccept("unix:/run/tlsgate.sock")).listeners[0].accept.address;
  EXPECT_EQ(a.unix_path, "/run/tlsgate.sock");
  a = load(listenerWithAccept("localhost:1")).listeners[0].accept.address;
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 1);
  EXPECT_EQ(a.mark.str(), "test.yaml:4:16");
}

TEST(ConfigLoaderTest, AddressErrorsHaveAPosition) {
  EXPECT_EQ(loadError(listenerWithAccept("127.0.0.1")),
            "test.yaml:4:16: listeners[0].accept.address: '127.0.0.1' has no port; write "
            "host:port");
  EXPECT_TRUE(
      errorIs(loadError(listenerWithAccept("127.0.0.1:0")),
              "test.yaml:4:16: listeners[0].accept.address: ", "is not a number from 1 to 65535"));
  EXPECT_TRUE(errorIs(loadError(listenerWithAccept("[127.0.0.1:1, 127.0.0.1:2]")),
                      "test.yaml:4:16: listeners[0].accept.address: ", "expected a string"));
}

TEST(ConfigLoaderTest, DuplicateListenerNames) {
  EXPECT_EQ(loadError(R"(listeners:
  - name: web
    accept: { address: 127.0.0.1:8443 }
    connect: { address: 127.0.0.1:8080 }
  - name: web
    accept: { address: 127.0.0.1:8444 }
    connect: { address: 127.0.0.1:8080 }
)"),
            "test.yaml:5:11: listeners[1].name: the listener at line 2 already has the name 'web'; "
            "names must be unique");
}

TEST(ConfigLoaderTest, DuplicateAcceptAddresses) {
  EXPECT_EQ(loadError(R"(listeners:
  - name: a
    accept: { address: 127.0.0.1:8443 }
    connect: { address: 127.0.0.1:8080 }
  - name: b
    accept: { address: 127.0.0.1:8443 }
    connect: { address: 127.0.0.1:8080 }
)"),
            "test.yaml:6:24: listeners[1].accept.address: listener 'a' (line 3) already accepts on "
            "this address");
}

TEST(ConfigLoaderTest, SameConnectAddressIsFine) {
  const Config config = load(R"(listeners:
  - name: a
    accept: { address: unix:/run/a.sock }
    connect: { address: 127.0.0.1:8080 }
  - name: b
    accept: { address: unix:/run/b.sock }
    connect: { address: 127.0.0.1:8080 }
)");
  EXPECT_EQ(config.listeners.size(), 2u);
}

}  // namespace
}  // namespace tlsgate
