// The connect side of a listener: backend lists, balance, fail_timeout,
// proxy_protocol, starttls and via.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "load_error.h"

namespace tlsgate {
namespace {

using std::chrono::seconds;
using testing::errorIs;
using testing::load;
using testing::loadError;

// A listener whose connect side is `address` plus `extra` (YAML lines
// indented by six spaces, starting on line 7). `accept_extra` goes under
// accept, from line 5.
std::string withConnect(const std::string& extra, const std::string& address = "127.0.0.1:8080",
                        const std::string& accept_extra = "") {
  return "listeners:\n  - name: web\n    accept:\n      address: 127.0.0.1:8443\n" + accept_extra +
         "    connect:\n      address: " + address + "\n" + extra;
}

ConnectConfig connect(const std::string& yaml) {
  return load(yaml).listeners[0].connect;
}

// ---------------------------------------------------------------- addresses

TEST(ConnectConfigTest, Defaults) {
  const ConnectConfig c = connect(withConnect(""));
  ASSERT_EQ(c.addresses.size(), 1u);
  EXPECT_EQ(c.address().host, "127.0.0.1");
  EXPECT_EQ(c.address().port, 8080);
  EXPECT_EQ(c.address().mark.str(), "test.yaml:6:16");
  EXPECT_EQ(c.mark.str(), "test.yaml:6:7");
  EXPECT_EQ(c.balance, Balance::round_robin);
  EXPECT_EQ(c.fail_timeout, seconds(10));
  EXPECT_EQ(c.proxy_protocol.version, ProxyProtocolVersion::none);
  EXPECT_FALSE(c.proxy_protocol.client_cert);
  EXPECT_EQ(c.starttls, StarttlsProtocol::none);
  EXPECT_EQ(c.via.kind, ViaConfig::Kind::none);
  EXPECT_EQ(c.via.auth_file.value, "");
  EXPECT_FALSE(c.tls.has_value());
}

TEST(ConnectConfigTest, Ipv6Address) {
  const Address a = connect(withConnect("", "\"[::1]:8443\"")).address();
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 8443);
  EXPECT_TRUE(errorIs(loadError(withConnect("", "::1:8443")),
                      "test.yaml:6:16: listeners[0].connect.address: ",
                      "looks like an IPv6 address; write it in brackets"));
}

TEST(ConnectConfigTest, UnixAddress) {
  const Address a = connect(withConnect("", "unix:/run/app/http.sock")).address();
  EXPECT_TRUE(a.isUnix());
  EXPECT_EQ(a.unix_path, "/run/app/http.sock");
}

TEST(ConnectConfigTest, AddressList) {
  const ConnectConfig c =
      connect(withConnect("        - 10.0.0.2:8080\n"
                          "        - \"[2001:db8::3]:8080\"\n"
                          "        - backend.internal:8080\n"
                          "        - unix:/run/app/http.sock\n"
                          "      balance: failover\n"
                          "      fail_timeout: 30s\n",
                          "\n        - 10.0.0.1:8080"));
  ASSERT_EQ(c.addresses.size(), 5u);
  EXPECT_EQ(c.addresses[0].host, "10.0.0.1");
  EXPECT_EQ(c.addresses[0].mark.str(), "test.yaml:7:11");
  EXPECT_EQ(c.addresses[1].host, "10.0.0.2");
  EXPECT_EQ(c.addresses[2].host, "2001:db8::3");
  EXPECT_EQ(c.addresses[3].host, "backend.internal");
  EXPECT_EQ(c.addresses[4].unix_path, "/run/app/http.sock");
  EXPECT_EQ(c.addresses[4].mark.str(), "test.yaml:11:11");
  EXPECT_EQ(c.address().host, "10.0.0.1");
  EXPECT_EQ(c.balance, Balance::failover);
  EXPECT_EQ(c.fail_timeout, seconds(30));
}

TEST(ConnectConfigTest, FlowListAndSingleEntry) {
  const ConnectConfig c = connect(withConnect("", "[127.0.0.1:8080, 127.0.0.1:8081]"));
  ASSERT_EQ(c.addresses.size(), 2u);
  EXPECT_EQ(c.addresses[1].port, 8081);
  EXPECT_EQ(c.addresses[1].mark.str(), "test.yaml:6:33");
  EXPECT_EQ(connect(withConnect("", "[127.0.0.1:8080]")).addresses.size(), 1u);
}

TEST(ConnectConfigTest, BalanceWithOneAddressIsAllowed) {
  EXPECT_EQ(connect(withConnect("      balance: failover\n")).balance, Balance::failover);
  EXPECT_EQ(connect(withConnect("      balance: round_robin\n")).balance, Balance::round_robin);
}

TEST(ConnectConfigTest, EmptyAddressList) {
  EXPECT_EQ(loadError(withConnect("", "[]")),
            "test.yaml:6:16: listeners[0].connect.address: needs at least one address");
}

TEST(ConnectConfigTest, DuplicateAddresses) {
  EXPECT_EQ(loadError(withConnect("        - 10.0.0.2:80\n        - 10.0.0.1:80\n",
                                  "\n        - 10.0.0.1:80")),
            "test.yaml:9:11: listeners[0].connect.address[2]: '10.0.0.1:80' is listed twice "
            "(first at line 7); each backend may appear once");
  // Host names compare without regard to case.
  EXPECT_TRUE(errorIs(loadError(withConnect("", "[Backend.example:80, backend.example:80]")),
                      "test.yaml:6:37: listeners[0].connect.address[1]: ",
                      "'backend.example:80' is listed twice (first at line 6)"));
  EXPECT_TRUE(errorIs(
      loadError(withConnect("", "[unix:/run/a.sock, unix:/run/a.sock]")),
      "test.yaml:6:35: listeners[0].connect.address[1]: ", "'unix:/run/a.sock' is listed twice"));
  // The same host on another port is another backend.
  EXPECT_EQ(connect(withConnect("", "[10.0.0.1:80, 10.0.0.1:81]")).addresses.size(), 2u);
}

TEST(ConnectConfigTest, AtMostSixtyFourAddresses) {
  std::string list = "[";
  for (int port = 1; port <= 65; ++port) {
    list += (port == 1 ? "" : ", ") + std::string("127.0.0.1:") + std::to_string(port);
  }
  EXPECT_EQ(loadError(withConnect("", list + "]")),
            "test.yaml:6:16: listeners[0].connect.address: lists 65 addresses; at most 64 are "
            "allowed");
  list.erase(list.rfind(','));
  EXPECT_EQ(connect(withConnect("", list + "]")).addresses.size(), 64u);
}

TEST(ConnectConfigTest, BadAddressInAList) {
  EXPECT_EQ(loadError(withConnect("", "[127.0.0.1:80, 127.0.0.1]")),
            "test.yaml:6:31: listeners[0].connect.address[1]: '127.0.0.1' has no port; write "
            "host:port");
  EXPECT_TRUE(errorIs(loadError(withConnect("", "[127.0.0.1:80, [127.0.0.1:81]]")),
                      "test.yaml:6:31: listeners[0].connect.address[1]: ", "expected a string"));
}

TEST(ConnectConfigTest, BalanceAndFailTimeoutErrors) {
  EXPECT_EQ(loadError(withConnect("      balance: random\n")),
            "test.yaml:7:16: listeners[0].connect.balance: expected round_robin or failover, not "
            "'random'");
  EXPECT_EQ(loadError(withConnect("      fail_timeout: 0s\n")),
            "test.yaml:7:21: listeners[0].connect.fail_timeout: must be longer than zero");
  EXPECT_TRUE(errorIs(loadError(withConnect("      fail_timeout: 10\n")),
                      "test.yaml:7:21: listeners[0].connect.fail_timeout: ", "'10' has no unit"));
}

TEST(ConnectConfigTest, TlsToAUnixBackendInAListNeedsAName) {
  EXPECT_TRUE(errorIs(loadError(withConnect("      tls: {}\n", "[10.0.0.1:443, unix:/run/b.sock]")),
                      "test.yaml:7:12: listeners[0].connect.tls: ",
                      "a unix socket address has no host name to verify the backend against"));
  EXPECT_TRUE(connect(withConnect("      tls: { servername: b.example }\n",
                                  "[10.0.0.1:443, unix:/run/b.sock]"))
                  .tls.has_value());
}

// ---------------------------------------------------------------- proxy_protocol

constexpr const char* kAcceptMtls =
    "      tls:\n"
    "        certificates: [{ cert: site.pem }]\n"
    "        client_certs: { mode: require, cafile: ca.pem }\n";

TEST(ConnectConfigTest, ProxyProtocolShortForm) {
  EXPECT_EQ(connect(withConnect("      proxy_protocol: v1\n")).proxy_protocol.version,
            ProxyProtocolVersion::v1);
  EXPECT_EQ(connect(withConnect("      proxy_protocol: v2\n")).proxy_protocol.version,
            ProxyProtocolVersion::v2);
  EXPECT_EQ(connect(withConnect("      proxy_protocol: none\n")).proxy_protocol.version,
            ProxyProtocolVersion::none);
  EXPECT_FALSE(connect(withConnect("      proxy_protocol: v2\n")).proxy_protocol.client_cert);
}

TEST(ConnectConfigTest, ProxyProtocolMapForm) {
  const ProxyProtocolOut p =
      connect(withConnect("      proxy_protocol: { version: v2, client_cert: true }\n",
                          "127.0.0.1:8080", kAcceptMtls))
          .proxy_protocol;
  EXPECT_EQ(p.version, ProxyProtocolVersion::v2);
  EXPECT_TRUE(p.client_cert);
  const ProxyProtocolOut v1 =
      connect(withConnect("      proxy_protocol: { version: v1, client_cert: false }\n"))
          .proxy_protocol;
  EXPECT_EQ(v1.version, ProxyProtocolVersion::v1);
  EXPECT_FALSE(v1.client_cert);
  // mode: request may still bring a certificate.
  EXPECT_TRUE(connect(withConnect("      proxy_protocol: { version: v2, client_cert: true }\n",
                                  "127.0.0.1:8080",
                                  "      tls:\n"
                                  "        certificates: [{ cert: site.pem }]\n"
                                  "        client_certs: { mode: request, cafile: ca.pem }\n"))
                  .proxy_protocol.client_cert);
}

TEST(ConnectConfigTest, ProxyProtocolClientCertNeedsV2) {
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: { version: v1, client_cert: true }\n",
                                  "127.0.0.1:8080", kAcceptMtls)),
            "test.yaml:10:51: listeners[0].connect.proxy_protocol.client_cert: needs version: v2; "
            "a PROXY v1 header is one text line and cannot carry a certificate");
}

TEST(ConnectConfigTest, ProxyProtocolClientCertNeedsClientCertificates) {
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: { version: v2, client_cert: true }\n")),
            "test.yaml:7:51: listeners[0].connect.proxy_protocol.client_cert: sends the client's "
            "certificate, but the accept side has no tls block, so there is none to send; remove "
            "client_cert or add accept.tls with client_certs");
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: { version: v2, client_cert: true }\n",
                                  "127.0.0.1:8080",
                                  "      tls: { certificates: [{ cert: site.pem }] }\n")),
            "test.yaml:8:51: listeners[0].connect.proxy_protocol.client_cert: sends the client's "
            "certificate, but accept.tls asks clients for none; set "
            "accept.tls.client_certs.mode to request or require, or remove client_cert");
}

TEST(ConnectConfigTest, ProxyProtocolBadValues) {
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: v3\n")),
            "test.yaml:7:23: listeners[0].connect.proxy_protocol: expected none, v1 or v2, or a "
            "map { version: v2, client_cert: true }, not 'v3'");
  EXPECT_TRUE(errorIs(loadError(withConnect("      proxy_protocol: true\n")),
                      "test.yaml:7:23: listeners[0].connect.proxy_protocol: ", "not 'true'"));
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: { client_cert: true }\n")),
            "test.yaml:7:23: listeners[0].connect.proxy_protocol: missing required key 'version'");
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: { version: none }\n")),
            "test.yaml:7:34: listeners[0].connect.proxy_protocol.version: the map form needs "
            "version: v1 or v2; write proxy_protocol: none to send no header");
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: { version: 2 }\n")),
            "test.yaml:7:34: listeners[0].connect.proxy_protocol.version: expected v1 or v2, not "
            "'2'");
  EXPECT_EQ(loadError(withConnect("      proxy_protocol: { version: v2, client_certs: true }\n")),
            "test.yaml:7:38: listeners[0].connect.proxy_protocol.client_certs: unknown key; did "
            "you mean 'client_cert'?");
}

// ---------------------------------------------------------------- starttls

TEST(ConnectConfigTest, StarttlsProtocols) {
  const std::pair<const char*, StarttlsProtocol> cases[] = {
      {"none", StarttlsProtocol::none}, {"smtp", StarttlsProtocol::smtp},
      {"imap", StarttlsProtocol::imap}, {"pop3", StarttlsProtocol::pop3},
      {"ftp", StarttlsProtocol::ftp},   {"postgres", StarttlsProtocol::postgres}};
  for (const auto& [word, protocol] : cases) {
    EXPECT_EQ(
        connect(withConnect("      starttls: " + std::string(word) + "\n      tls: {}\n")).starttls,
        protocol)
        << word;
  }
}

TEST(ConnectConfigTest, StarttlsNeedsTls) {
  EXPECT_EQ(connect(withConnect("      starttls: none\n")).starttls, StarttlsProtocol::none);
  EXPECT_EQ(loadError(withConnect("      starttls: postgres\n")),
            "test.yaml:7:17: listeners[0].connect.starttls: starttls needs a tls block on the same "
            "side: the upgrade is to TLS; add connect.tls");
}

TEST(ConnectConfigTest, StarttlsBothWaysNeedsTheClientToUpgrade) {
  const std::string accept =
      "      tls: { certificates: [{ cert: site.pem }] }\n"
      "      starttls: { protocol: smtp, require: false }\n";
  const std::string error = loadError(
      withConnect("      tls: { verify: false }\n      starttls: smtp\n", "127.0.0.1:25", accept));
  EXPECT_EQ(error.rfind("test.yaml:10:17: listeners[0].connect.starttls: cannot follow "
                        "accept.starttls with require: false",
                        0),
            0U)
      << error;
  const std::string required =
      "      tls: { certificates: [{ cert: site.pem }] }\n      starttls: smtp\n";
  EXPECT_EQ(connect(withConnect("      tls: { verify: false }\n      starttls: smtp\n",
                                "127.0.0.1:25", required))
                .starttls,
            StarttlsProtocol::smtp);
}

TEST(ConnectConfigTest, StarttlsBadValues) {
  EXPECT_EQ(loadError(withConnect("      starttls: mysql\n      tls: {}\n")),
            "test.yaml:7:17: listeners[0].connect.starttls: expected none, smtp, imap, pop3, ftp "
            "or postgres, not 'mysql'");
  // The map form belongs to the accept side, where tlsgate answers the preamble.
  EXPECT_EQ(loadError(withConnect("      starttls: { protocol: smtp }\n      tls: {}\n")),
            "test.yaml:7:17: listeners[0].connect.starttls: expected none, smtp, imap, pop3, ftp "
            "or postgres");
}

// ---------------------------------------------------------------- via

// A private directory for auth files, removed at the end; configs load
// with it as their base directory.
class ViaConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tlsgate-via-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  Config loadHere(const std::string& yaml) {
    return ConfigLoader::loadString(yaml, "test.yaml", dir_.string());
  }

  std::string errorHere(const std::string& yaml) {
    try {
      loadHere(yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "the configuration loaded, but an error was expected:\n" << yaml;
    return "";
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(ViaConfigTest, HttpConnectWithAuthFile) {
  write("proxy.auth", "alice:s3cret:with:colons\nignored second line\n");
  const ConnectConfig c =
      loadHere(
          withConnect("      via: { http_connect: proxy.internal:3128, auth_file: proxy.auth }\n",
                      "backend.example:443"))
          .listeners[0]
          .connect;
  EXPECT_EQ(c.via.kind, ViaConfig::Kind::http_connect);
  EXPECT_EQ(c.via.proxy.host, "proxy.internal");
  EXPECT_EQ(c.via.proxy.port, 3128);
  EXPECT_EQ(c.via.proxy.mark.str(), "test.yaml:7:28");
  EXPECT_EQ(c.via.auth_file.value, path("proxy.auth"));
  EXPECT_EQ(c.via.auth_file.mark.str(), "test.yaml:7:60");
}

TEST_F(ViaConfigTest, Socks5WithoutAuth) {
  const ConnectConfig c =
      loadHere(withConnect("      via: { socks5: \"[::1]:1080\" }\n")).listeners[0].connect;
  EXPECT_EQ(c.via.kind, ViaConfig::Kind::socks5);
  EXPECT_EQ(c.via.proxy.host, "::1");
  EXPECT_EQ(c.via.proxy.port, 1080);
  EXPECT_EQ(c.via.auth_file.value, "");
}

TEST_F(ViaConfigTest, Socks5WithAuthAndCrlf) {
  write("socks.auth", "bob:hunter2\r\n");
  const ConnectConfig c =
      loadHere(withConnect("      via: { socks5: 127.0.0.1:1080, auth_file: " + path("socks.auth") +
                           " }\n"))
          .listeners[0]
          .connect;
  EXPECT_EQ(c.via.kind, ViaConfig::Kind::socks5);
  EXPECT_EQ(c.via.auth_file.value, path("socks.auth"));
}

TEST_F(ViaConfigTest, ExactlyOneProxy) {
  EXPECT_EQ(errorHere(withConnect("      via: { http_connect: a:3128, socks5: b:1080 }\n")),
            "test.yaml:7:44: listeners[0].connect.via.socks5: give only one of http_connect and "
            "socks5: a backend is reached through one proxy");
  EXPECT_EQ(errorHere(withConnect("      via: {}\n")),
            "test.yaml:7:12: listeners[0].connect.via: needs http_connect: HOST:PORT or socks5: "
            "HOST:PORT");
  EXPECT_EQ(errorHere(withConnect("      via: { sock5: b:1080 }\n")),
            "test.yaml:7:14: listeners[0].connect.via.sock5: unknown key; did you mean 'socks5'?");
  EXPECT_EQ(errorHere(withConnect("      via: socks5://b:1080\n")),
            "test.yaml:7:12: listeners[0].connect.via: expected a map (key: value pairs)");
}

TEST_F(ViaConfigTest, ProxyAddressMustBeHostAndPort) {
  EXPECT_EQ(errorHere(withConnect("      via: { http_connect: unix:/run/proxy.sock }\n")),
            "test.yaml:7:28: listeners[0].connect.via.http_connect: the proxy is reached at "
            "HOST:PORT; a unix: proxy address is not supported");
  EXPECT_EQ(errorHere(withConnect("      via: { socks5: proxy.internal }\n")),
            "test.yaml:7:22: listeners[0].connect.via.socks5: 'proxy.internal' has no port; write "
            "host:port");
}

TEST_F(ViaConfigTest, UnixBackendCannotGoThroughAProxy) {
  EXPECT_EQ(errorHere(withConnect("      via: { socks5: b:1080 }\n", "unix:/run/app.sock")),
            "test.yaml:6:16: listeners[0].connect.address: 'unix:/run/app.sock' cannot be reached "
            "through via: an HTTP CONNECT or SOCKS5 proxy connects to HOST:PORT only; remove via "
            "or use a host:port backend");
  EXPECT_TRUE(errorIs(errorHere(withConnect("      via: { socks5: b:1080 }\n",
                                            "[10.0.0.1:80, unix:/run/app.sock]")),
                      "test.yaml:6:30: listeners[0].connect.address[1]: ",
                      "'unix:/run/app.sock' cannot be reached through via"));
}

TEST_F(ViaConfigTest, AuthFileMustBeReadable) {
  EXPECT_EQ(errorHere(withConnect("      via: { socks5: b:1080, auth_file: missing.auth }\n")),
            "test.yaml:7:41: listeners[0].connect.via.auth_file: cannot read " +
                path("missing.auth") + ": No such file or directory");
  std::filesystem::create_directory(dir_ / "adir");
  EXPECT_EQ(errorHere(withConnect("      via: { socks5: b:1080, auth_file: adir }\n")),
            "test.yaml:7:41: listeners[0].connect.via.auth_file: cannot read " + path("adir") +
                ": Is a directory");
}

TEST_F(ViaConfigTest, AuthFileNeedsUserColonPassword) {
  write("nocolon.auth", "justasecrettoken\n");
  const std::string message =
      errorHere(withConnect("      via: { http_connect: a:3128, auth_file: nocolon.auth }\n"));
  EXPECT_EQ(message, "test.yaml:7:47: listeners[0].connect.via.auth_file: the first line of " +
                         path("nocolon.auth") +
                         " must be user:password, and it has no ':' (the line is not shown here "
                         "because it may hold a password)");
  EXPECT_EQ(message.find("justasecrettoken"), std::string::npos);
  write("empty.auth", "");
  EXPECT_TRUE(errorIs(
      errorHere(withConnect("      via: { http_connect: a:3128, auth_file: empty.auth }\n")),
      "test.yaml:7:47: listeners[0].connect.via.auth_file: ", "must be user:password"));
  write("nouser.auth", ":topsecret\n");
  const std::string no_user =
      errorHere(withConnect("      via: { http_connect: a:3128, auth_file: nouser.auth }\n"));
  EXPECT_EQ(no_user, "test.yaml:7:47: listeners[0].connect.via.auth_file: the first line of " +
                         path("nouser.auth") + " has an empty user name before the ':'");
  EXPECT_EQ(no_user.find("topsecret"), std::string::npos);
}

TEST_F(ViaConfigTest, HttpAllowsAnEmptyOrLongPassword) {
  write("http.auth", "alice:\n");
  EXPECT_NO_THROW(
      loadHere(withConnect("      via: { http_connect: a:3128, auth_file: http.auth }\n")));
  write("long.auth", std::string(300, 'u') + ":" + std::string(300, 'p') + "\n");
  EXPECT_NO_THROW(
      loadHere(withConnect("      via: { http_connect: a:3128, auth_file: long.auth }\n")));
}

TEST_F(ViaConfigTest, Socks5CredentialLimits) {
  write("nopass.auth", "bob:\n");
  EXPECT_EQ(errorHere(withConnect("      via: { socks5: b:1080, auth_file: nopass.auth }\n")),
            "test.yaml:7:41: listeners[0].connect.via.auth_file: the first line of " +
                path("nopass.auth") +
                " has an empty password after the ':'; SOCKS5 needs one of 1 to 255 bytes "
                "(RFC 1929)");
  write("longuser.auth", std::string(256, 'u') + ":pw\n");
  EXPECT_EQ(errorHere(withConnect("      via: { socks5: b:1080, auth_file: longuser.auth }\n")),
            "test.yaml:7:41: listeners[0].connect.via.auth_file: the user name in " +
                path("longuser.auth") + " is 256 bytes; SOCKS5 allows at most 255 (RFC 1929)");
  const std::string secret(256, 'S');
  write("longpass.auth", "bob:" + secret + "\n");
  const std::string long_password =
      errorHere(withConnect("      via: { socks5: b:1080, auth_file: longpass.auth }\n"));
  EXPECT_EQ(long_password, "test.yaml:7:41: listeners[0].connect.via.auth_file: the password in " +
                               path("longpass.auth") +
                               " is 256 bytes; SOCKS5 allows at most 255 (RFC 1929)");
  EXPECT_EQ(long_password.find(secret), std::string::npos);
  write("max.auth", std::string(255, 'u') + ":" + std::string(255, 'p') + "\n");
  EXPECT_NO_THROW(loadHere(withConnect("      via: { socks5: b:1080, auth_file: max.auth }\n")));
}

TEST_F(ViaConfigTest, FirstLineLongerThanTheLimit) {
  write("huge.auth", std::string(5000, 'x') + "\n");
  EXPECT_EQ(errorHere(withConnect("      via: { http_connect: a:3128, auth_file: huge.auth }\n")),
            "test.yaml:7:47: listeners[0].connect.via.auth_file: the first line of " +
                path("huge.auth") + " is longer than 4096 bytes; it must be user:password");
}

TEST(ConnectConfigTest, UnknownConnectKeySuggests) {
  EXPECT_EQ(loadError(withConnect("      balanse: failover\n")),
            "test.yaml:7:7: listeners[0].connect.balanse: unknown key; did you mean 'balance'?");
  EXPECT_EQ(loadError(withConnect("      unix_socket: {}\n")),
            "test.yaml:7:7: listeners[0].connect.unix_socket: unknown key (expected one of: "
            "address, balance, fail_timeout, proxy_protocol, starttls, via, tls)");
}

}  // namespace
}  // namespace tlsgate
