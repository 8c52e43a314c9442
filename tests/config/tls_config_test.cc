// tls: blocks: the keys of each side, tls_defaults inheritance and the rules
// that tie keys together.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "load_error.h"

namespace tlsgate {
namespace {

using testing::errorIs;
using testing::load;
using testing::loadError;

// One listener with the given tls blocks (YAML text indented to sit under
// "tls:", or empty for none) and optional global.tls_defaults.
//
// Line numbers: the defaults come first, under "global:\n  tls_defaults:\n",
// so a one-line defaults block puts "listeners:" on line 4.
std::string config(const std::string& accept_tls, const std::string& connect_tls,
                   const std::string& defaults = "") {
  std::string out;
  if (!defaults.empty()) {
    out += "global:\n  tls_defaults:\n" + defaults;
  }
  out += "listeners:\n  - name: web\n    accept:\n      address: 127.0.0.1:8443\n";
  if (!accept_tls.empty()) {
    out += "      tls:\n" + accept_tls;
  }
  out += "    connect:\n      address: backend.example.com:443\n";
  if (!connect_tls.empty()) {
    out += "      tls:\n" + connect_tls;
  }
  return out;
}

constexpr const char* kAcceptCert = "        certificates: [{ cert: site.pem }]\n";
constexpr const char* kVerifyOn = "        verify: true\n";

ServerTlsConfig acceptTls(const std::string& yaml) {
  return *load(yaml).listeners[0].accept.tls;
}
ClientTlsConfig connectTls(const std::string& yaml) {
  return *load(yaml).listeners[0].connect.tls;
}

// ---------------------------------------------------------------- tls_defaults

TEST(TlsConfigTest, DefaultsReachBothSides) {
  const std::string yaml = config(kAcceptCert, kVerifyOn,
                                  "    cipher: ECDHE+AESGCM\n"
                                  "    protocols: [tls1.3]\n"
                                  "    alpn: [h2]\n"
                                  "    cafile: ca.pem\n");
  const Config loaded = load(yaml);
  const TlsPolicyConfig& accept = *loaded.listeners[0].accept.tls;
  const TlsPolicyConfig& connect = *loaded.listeners[0].connect.tls;
  for (const TlsPolicyConfig* tls : {&accept, &connect}) {
    EXPECT_EQ(tls->cipher, "ECDHE+AESGCM");
    EXPECT_EQ(tls->protocols, std::vector<TlsProtocol>{TlsProtocol::tls1_3});
    EXPECT_EQ(tls->alpn, std::vector<std::string>{"h2"});
    EXPECT_EQ(tls->cafile.value, "/etc/tlsgate/ca.pem");
    EXPECT_EQ(tls->cafile.mark.str(), "test.yaml:6:13");  // where the default was written
  }
}

TEST(TlsConfigTest, BlockKeysOverrideDefaults) {
  const ServerTlsConfig tls =
      acceptTls(config(std::string(kAcceptCert) + "        cipher: HIGH\n"
                                                  "        alpn: [http/1.1]\n",
                       "", "    cipher: ECDHE+AESGCM\n    alpn: [h2]\n"));
  EXPECT_EQ(tls.cipher, "HIGH");
  EXPECT_EQ(tls.alpn, std::vector<std::string>{"http/1.1"});
}

TEST(TlsConfigTest, DefaultsOnlyReachTheirSide) {
  const Config loaded = load(config(kAcceptCert, kVerifyOn,
                                    "    servername: origin.example\n"
                                    "    client_certs: { mode: request, cafile: ca.pem }\n"));
  EXPECT_EQ(loaded.listeners[0].accept.tls->client_certs.mode, ClientCertMode::request);
  EXPECT_EQ(loaded.listeners[0].connect.tls->servername, "origin.example");
}

// A side's own keys have no field in the other side's config.
template <typename Tls>
constexpr bool kHasServername = requires(const Tls& tls) {
  tls.servername;
};
template <typename Tls>
constexpr bool kHasClientCerts = requires(const Tls& tls) {
  tls.client_certs;
};
static_assert(kHasServername<ClientTlsConfig> && !kHasServername<ServerTlsConfig>);
static_assert(kHasClientCerts<ServerTlsConfig> && !kHasClientCerts<ClientTlsConfig>);

TEST(TlsConfigTest, DefaultsDoNotCreateTlsBlocks) {
  const Config loaded = load(config(kAcceptCert, "", "    servername: origin.example\n"));
  EXPECT_FALSE(loaded.listeners[0].connect.tls.has_value());
}

TEST(TlsConfigTest, DefaultCertificatesSatisfyTheAcceptSide) {
  const ServerTlsConfig tls =
      acceptTls(config("        alpn: [h2]\n", "", "    certificates: [{ cert: default.pem }]\n"));
  ASSERT_EQ(tls.certificates.size(), 1u);
  EXPECT_EQ(tls.certificates[0].cert.value, "/etc/tlsgate/default.pem");
}

TEST(TlsConfigTest, SecurityLevelFromDefaultsAllowsLegacyProtocolsInABlock) {
  const ServerTlsConfig tls =
      acceptTls(config(std::string(kAcceptCert) + "        protocols: [tls1.1, tls1.2]\n", "",
                       "    security_level: 0\n"));
  EXPECT_EQ(tls.security_level, 0);
  EXPECT_EQ(tls.protocols, (std::vector<TlsProtocol>{TlsProtocol::tls1_1, TlsProtocol::tls1_2}));
}

TEST(TlsConfigTest, ClientCertificateIsInheritedAsAWhole) {
  const std::string defaults = "    cert: default.pem\n    key: default.key\n";
  const ClientTlsConfig inherited = connectTls(config("", kVerifyOn, defaults));
  ASSERT_TRUE(inherited.client_certificate.has_value());
  EXPECT_EQ(inherited.client_certificate->cert.value, "/etc/tlsgate/default.pem");
  EXPECT_EQ(inherited.client_certificate->key.value, "/etc/tlsgate/default.key");

  // The block's own certificate keeps its key in the same file; the default
  // key must not be paired with it.
  const ClientTlsConfig own = connectTls(config("", "        cert: own.pem\n", defaults));
  ASSERT_TRUE(own.client_certificate.has_value());
  EXPECT_EQ(own.client_certificate->cert.value, "/etc/tlsgate/own.pem");
  EXPECT_EQ(own.client_certificate->key.value, "");
}

TEST(TlsConfigTest, UnknownKeyInDefaults) {
  EXPECT_EQ(loadError(config(kAcceptCert, "", "    ciphersuite: TLS_AES_128_GCM_SHA256\n")),
            "test.yaml:3:5: global.tls_defaults.ciphersuite: unknown key; did you mean "
            "'ciphersuites'?");
}

TEST(TlsConfigTest, DefaultsAreCheckedEvenWithoutTlsBlocks) {
  EXPECT_EQ(loadError(config("", "", "    security_level: high\n")),
            "test.yaml:3:21: global.tls_defaults.security_level: expected a number, not 'high'");
  EXPECT_TRUE(errorIs(loadError(config("", "", "    protocols: [ssl3]\n")),
                      "test.yaml:3:17: global.tls_defaults.protocols[0]: ", "never supported"));
  EXPECT_TRUE(errorIs(loadError(config("", "", "    key: client.key\n")),
                      "test.yaml:3:10: global.tls_defaults.key: ", "needs cert"));
  EXPECT_TRUE(errorIs(loadError(config("", "", "    pin_sha256: [AB]\n")),
                      "test.yaml:3:18: global.tls_defaults.pin_sha256[0]: ", "64 hex digits"));
  EXPECT_TRUE(
      errorIs(loadError(config("", "", "    session: { tickets: maybe }\n")),
              "test.yaml:3:25: global.tls_defaults.session.tickets: ", "expected true or false"));
}

// ---------------------------------------------------------------- keys and sides

TEST(TlsConfigTest, UnknownKeyInABlockHasPositionAndSuggestion) {
  EXPECT_EQ(loadError(config(std::string(kAcceptCert) + "        ciphersuite: X\n", "")),
            "test.yaml:7:9: listeners[0].accept.tls.ciphersuite: unknown key; did you mean "
            "'ciphersuites'?");
}

TEST(TlsConfigTest, ConnectKeyOnTheAcceptSide) {
  EXPECT_EQ(loadError(config(std::string(kAcceptCert) + "        servername: a.example\n", "")),
            "test.yaml:7:9: listeners[0].accept.tls.servername: belongs on the connect side "
            "(connect.tls), not on the accept side");
}

TEST(TlsConfigTest, ClientCertificateKeysOnTheAcceptSide) {
  EXPECT_TRUE(errorIs(loadError(config("        cert: site.pem\n", "")),
                      "test.yaml:6:9: listeners[0].accept.tls.cert: ",
                      "the accept side lists its certificates under 'certificates:"));
}

TEST(TlsConfigTest, AcceptKeyOnTheConnectSide) {
  EXPECT_EQ(loadError(config(kAcceptCert, "        client_certs: { mode: require }\n")),
            "test.yaml:10:9: listeners[0].connect.tls.client_certs: belongs on the accept side "
            "(accept.tls), not on the connect side");
}

TEST(TlsConfigTest, BlockMustBeAMap) {
  EXPECT_EQ(loadError(config("", "") + "      tls:\n"),
            "test.yaml:7:7: listeners[0].connect.tls: expected a map (key: value pairs)");
}

TEST(TlsConfigTest, EmptyConnectBlockUsesSecureDefaults) {
  const ClientTlsConfig tls = connectTls(config("", "") + "      tls: {}\n");
  EXPECT_TRUE(tls.verify);
  EXPECT_EQ(tls.servername, "");
  EXPECT_FALSE(tls.client_certificate.has_value());
  EXPECT_EQ(tls.protocols, (std::vector<TlsProtocol>{TlsProtocol::tls1_2, TlsProtocol::tls1_3}));
  EXPECT_EQ(tls.mark.str(), "test.yaml:7:12");
}

// ---------------------------------------------------------------- protocols

std::string withProtocols(const std::string& protocols, const std::string& extra = "") {
  return config(std::string(kAcceptCert) + "        protocols: " + protocols + "\n" + extra, "");
}

TEST(TlsConfigTest, ModernProtocols) {
  EXPECT_EQ(acceptTls(withProtocols("[tls1.3, tls1.2]")).protocols,
            (std::vector<TlsProtocol>{TlsProtocol::tls1_2, TlsProtocol::tls1_3}));
  EXPECT_EQ(acceptTls(withProtocols("[TLSv1.2]")).protocols,
            std::vector<TlsProtocol>{TlsProtocol::tls1_2});
}

TEST(TlsConfigTest, LegacyProtocolsNeedSecurityLevelZero) {
  EXPECT_TRUE(errorIs(loadError(withProtocols("[tls1.0, tls1.1, tls1.2]")),
                      "test.yaml:7:21: listeners[0].accept.tls.protocols[0]: ",
                      "'tls1.0' is insecure and only allowed with security_level: 0"));
  EXPECT_TRUE(errorIs(loadError(withProtocols("[tls1.1, tls1.2]", "        security_level: 1\n")),
                      "test.yaml:7:21: listeners[0].accept.tls.protocols[0]: ",
                      "only allowed with security_level: 0"));
  const ServerTlsConfig tls =
      acceptTls(withProtocols("[tls1, tls1.1, tls1.2]", "        security_level: 0\n"));
  EXPECT_EQ(tls.protocols, (std::vector<TlsProtocol>{TlsProtocol::tls1_0, TlsProtocol::tls1_1,
                                                     TlsProtocol::tls1_2}));
}

TEST(TlsConfigTest, SslIsNeverSupported) {
  EXPECT_EQ(loadError(withProtocols("[ssl3, tls1.2]", "        security_level: 0\n")),
            "test.yaml:7:21: listeners[0].accept.tls.protocols[0]: 'ssl3' is never supported: SSL "
            "2 and 3 are broken; use tls1.2 or tls1.3");
  EXPECT_TRUE(errorIs(loadError(withProtocols("[tls1.2, SSLv2]")),
                      "test.yaml:7:29: listeners[0].accept.tls.protocols[1]: ", "never supported"));
}

TEST(TlsConfigTest, BadProtocolLists) {
  EXPECT_TRUE(errorIs(
      loadError(withProtocols("[tls1.4]")),
      "test.yaml:7:21: listeners[0].accept.tls.protocols[0]: ", "unknown protocol 'tls1.4'"));
  EXPECT_TRUE(errorIs(loadError(withProtocols("[tls1.2, tls1.2]")),
                      "test.yaml:7:29: listeners[0].accept.tls.protocols[1]: ", "listed twice"));
  EXPECT_TRUE(errorIs(
      loadError(withProtocols("[]")),
      "test.yaml:7:20: listeners[0].accept.tls.protocols: ", "needs at least one protocol"));
  EXPECT_TRUE(errorIs(loadError(withProtocols("[tls1.0, tls1.3]", "        security_level: 0\n")),
                      "test.yaml:7:20: listeners[0].accept.tls.protocols: ", "contiguous"));
  EXPECT_TRUE(errorIs(loadError(withProtocols("tls1.3")),
                      "test.yaml:7:20: listeners[0].accept.tls.protocols: ", "expected a list"));
}

TEST(TlsConfigTest, SecurityLevelRange) {
  EXPECT_TRUE(
      errorIs(loadError(config(std::string(kAcceptCert) + "        security_level: 6\n", "")),
              "test.yaml:7:25: listeners[0].accept.tls.security_level: ", "must be from 0 to 5"));
}

// ---------------------------------------------------------------- accept side

TEST(TlsConfigTest, AcceptSideNeedsCertificates) {
  EXPECT_TRUE(
      errorIs(loadError(config("        alpn: [h2]\n", "")),
              "test.yaml:6:9: listeners[0].accept.tls: ", "the accept side needs certificates"));
  EXPECT_TRUE(errorIs(
      loadError(config("        certificates: []\n", "")),
      "test.yaml:6:23: listeners[0].accept.tls.certificates: ", "needs at least one certificate"));
  EXPECT_TRUE(errorIs(
      loadError(config("        certificates: [{ key: site.key }]\n", "")),
      "test.yaml:6:24: listeners[0].accept.tls.certificates[0]: ", "missing required key 'cert'"));
}

TEST(TlsConfigTest, CertificatePasswordSources) {
  const ServerTlsConfig tls = acceptTls(
      config("        certificates: [{ cert: a.pem, password: { env: KEY_PASS } }]\n", ""));
  ASSERT_TRUE(tls.certificates[0].password.has_value());
  EXPECT_EQ(tls.certificates[0].password->env->value, "KEY_PASS");
  EXPECT_TRUE(
      errorIs(loadError(config(
                  "        certificates: [{ cert: a.pem, password: { env: A, file: b } }]\n", "")),
              "test.yaml:6:49: listeners[0].accept.tls.certificates[0].password: ",
              "give exactly one of {file: PATH} or {env: VARIABLE}"));
  EXPECT_TRUE(errorIs(
      loadError(
          config("        certificates: [{ cert: a.pem, password: { env: 'not a name' } }]\n", "")),
      "test.yaml:6:56: listeners[0].accept.tls.certificates[0].password.env: ",
      "is not an environment variable name"));
  EXPECT_TRUE(errorIs(
      loadError(config("        certificates: [{ cert: a.pem, password: secret }]\n", "")),
      "test.yaml:6:49: listeners[0].accept.tls.certificates[0].password: ", "expected a map"));
}

TEST(TlsConfigTest, SelfSigned) {
  const ServerTlsConfig tls = acceptTls(
      config("        certificates: [{ cert: dev.pem, key: dev.key, self_signed: true }]\n", ""));
  EXPECT_TRUE(tls.certificates[0].self_signed);
  EXPECT_TRUE(errorIs(
      loadError(config("        certificates: [{ cert: dev.pem, self_signed: true }]\n", "")),
      "test.yaml:6:54: listeners[0].accept.tls.certificates[0].self_signed: ",
      "needs both a cert and a key"));
  EXPECT_TRUE(
      errorIs(loadError(config("        certificates: [{ cert: a.pem, self_signed: 1 }]\n", "")),
              "test.yaml:6:52: listeners[0].accept.tls.certificates[0].self_signed: ",
              "expected true or false"));
}

std::string withClientCerts(const std::string& client_certs, const std::string& extra = "",
                            const std::string& defaults = "") {
  return config(std::string(kAcceptCert) + "        client_certs: " + client_certs + "\n" + extra,
                "", defaults);
}

TEST(TlsConfigTest, ClientCertsNeedACa) {
  EXPECT_EQ(loadError(withClientCerts("{ mode: require }")),
            "test.yaml:7:31: listeners[0].accept.tls.client_certs.mode: client certificates "
            "cannot be verified without a CA; set cafile, cadir or castore in client_certs or in "
            "the tls block");
  EXPECT_TRUE(
      errorIs(loadError(withClientCerts("{ mode: request, verify_depth: 3 }")),
              "test.yaml:7:31: listeners[0].accept.tls.client_certs.mode: ", "without a CA"));
  EXPECT_EQ(acceptTls(withClientCerts("{ mode: none }")).client_certs.mode, ClientCertMode::none);
}

TEST(TlsConfigTest, ClientCertsCaFromAnywhere) {
  EXPECT_EQ(acceptTls(withClientCerts("{ mode: require, cafile: clients.pem }"))
                .client_certs.cafile.value,
            "/etc/tlsgate/clients.pem");
  EXPECT_EQ(acceptTls(withClientCerts("{ mode: require, castore: 'org.openssl.winstore://' }"))
                .client_certs.castore,
            "org.openssl.winstore://");
  EXPECT_EQ(acceptTls(withClientCerts("{ mode: require }", "        cadir: cas\n")).cadir.value,
            "/etc/tlsgate/cas");
  EXPECT_EQ(
      acceptTls(withClientCerts("{ mode: request }", "", "    cafile: ca.pem\n")).client_certs.mode,
      ClientCertMode::request);
}

TEST(TlsConfigTest, ClientCertsValues) {
  EXPECT_TRUE(errorIs(loadError(withClientCerts("{ mode: optional, cafile: c.pem }")),
                      "test.yaml:7:31: listeners[0].accept.tls.client_certs.mode: ",
                      "expected none, request or require"));
  EXPECT_TRUE(
      errorIs(loadError(withClientCerts("{ mode: require, cafile: c.pem, verify_depth: 0 }")),
              "test.yaml:7:69: listeners[0].accept.tls.client_certs.verify_depth: ",
              "must be from 1 to 100"));
}

TEST(TlsConfigTest, ClientCertsAllowRules) {
  const std::string pin =
      "ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:ab:"
      "ab:ab";
  const ClientCertConfig cc =
      acceptTls(withClientCerts("{ mode: require, cafile: c.pem, crl: clients.crl, allow: { "
                                "subject_cn: [billing], san_dns: ['*.Internal.Example'], "
                                "san_uri: ['spiffe://example.org/billing'], "
                                "san_ip: ['10.0.0.1', '2001:DB8:0:0::1'], sha256: ['" +
                                pin + "'] } }"))
          .client_certs;
  EXPECT_EQ(cc.crl.value, "/etc/tlsgate/clients.crl");
  EXPECT_EQ(cc.allow.subject_cn, std::vector<std::string>{"billing"});
  EXPECT_EQ(cc.allow.san_dns, std::vector<std::string>{"*.internal.example"});
  EXPECT_EQ(cc.allow.san_uri, std::vector<std::string>{"spiffe://example.org/billing"});
  EXPECT_EQ(cc.allow.san_ip, (std::vector<std::string>{"10.0.0.1", "2001:db8::1"}));
  EXPECT_EQ(
      cc.allow.sha256,
      std::vector<std::string>{"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"});
}

TEST(TlsConfigTest, ClientCertsAllowErrors) {
  const auto allow = [](const std::string& rules) {
    return loadError(withClientCerts("{ mode: require, cafile: c.pem, allow: " + rules + " }"));
  };
  EXPECT_TRUE(errorIs(allow("{ sha256: ['AB:CD'] }"),
                      "test.yaml:7:73: listeners[0].accept.tls.client_certs.allow.sha256[0]: ",
                      "64 hex digits, not 4"));
  EXPECT_TRUE(errorIs(allow("{ sha256: ['xyz'] }"),
                      "test.yaml:7:73: listeners[0].accept.tls.client_certs.allow.sha256[0]: ",
                      "not a SHA-256 fingerprint"));
  EXPECT_TRUE(errorIs(allow("{ san_ip: [10.0.0.300] }"),
                      "test.yaml:7:73: listeners[0].accept.tls.client_certs.allow.san_ip[0]: ",
                      "not an IPv4 or IPv6 address"));
  EXPECT_TRUE(errorIs(allow("{ san_dns: ['a.*.example'] }"),
                      "test.yaml:7:74: listeners[0].accept.tls.client_certs.allow.san_dns[0]: ",
                      "whole first label"));
  EXPECT_TRUE(errorIs(allow("{ san_url: [x] }"),
                      "test.yaml:7:64: listeners[0].accept.tls.client_certs.allow.san_url: ",
                      "did you mean 'san_uri'"));
  EXPECT_TRUE(errorIs(loadError(withClientCerts("{ mode: none, allow: { subject_cn: [a] } }")),
                      "test.yaml:7:44: listeners[0].accept.tls.client_certs.allow: ",
                      "has no effect with mode: none"));
  EXPECT_TRUE(errorIs(loadError(withClientCerts("{ crl: c.crl }")),
                      "test.yaml:7:30: listeners[0].accept.tls.client_certs.crl: ",
                      "has no effect with mode: none"));
}

// ---------------------------------------------------------------- sni

TEST(TlsConfigTest, SniUnknown) {
  EXPECT_FALSE(acceptTls(config(kAcceptCert, "")).sni.reject_unknown);
  EXPECT_FALSE(
      acceptTls(config(std::string(kAcceptCert) + "        sni: { unknown: default }\n", ""))
          .sni.reject_unknown);
  EXPECT_TRUE(acceptTls(config(std::string(kAcceptCert) + "        sni: { unknown: reject }\n", ""))
                  .sni.reject_unknown);
  EXPECT_TRUE(errorIs(
      loadError(config(std::string(kAcceptCert) + "        sni: { unknown: fail }\n", "")),
      "test.yaml:7:25: listeners[0].accept.tls.sni.unknown: ", "expected default or reject"));
  EXPECT_TRUE(
      errorIs(loadError(config(std::string(kAcceptCert) + "        sni: { unknwn: reject }\n", "")),
              "test.yaml:7:16: listeners[0].accept.tls.sni.unknwn: ", "did you mean 'unknown'"));
  EXPECT_TRUE(
      errorIs(loadError(config(kAcceptCert, "        sni: { unknown: reject }\n")),
              "test.yaml:10:9: listeners[0].connect.tls.sni: ", "belongs on the accept side"));
}

TEST(TlsConfigTest, PinSha256) {
  const std::string pin(64, 'a');
  EXPECT_EQ(connectTls(config(kAcceptCert, "        pin_sha256: ['" + pin + "']\n")).pin_sha256,
            std::vector<std::string>{std::string(64, 'A')});
  EXPECT_TRUE(
      errorIs(loadError(config(kAcceptCert,
                               "        verify: false\n        pin_sha256: ['" + pin + "']\n")),
              "test.yaml:11:21: listeners[0].connect.tls.pin_sha256: ", "needs verify: true"));
  EXPECT_TRUE(errorIs(
      loadError(config(std::string(kAcceptCert) + "        pin_sha256: []\n", "")),
      "test.yaml:7:9: listeners[0].accept.tls.pin_sha256: ", "belongs on the connect side"));
}

TEST(TlsConfigTest, DhparamsAndOcspStapleArePathsOnTheAcceptSide) {
  const ServerTlsConfig tls = acceptTls(
      config(std::string(kAcceptCert) + "        dhparams: dh.pem\n"
                                        "        ocsp_staple: /var/lib/tlsgate/site.ocsp\n",
             ""));
  EXPECT_EQ(tls.dhparams.value, "/etc/tlsgate/dh.pem");
  EXPECT_EQ(tls.dhparams.mark.str(), "test.yaml:7:19");
  EXPECT_EQ(tls.ocsp_staple.value, "/var/lib/tlsgate/site.ocsp");
  EXPECT_TRUE(
      errorIs(loadError(config(kAcceptCert, "        dhparams: dh.pem\n")),
              "test.yaml:10:9: listeners[0].connect.tls.dhparams: ", "belongs on the accept side"));
  EXPECT_TRUE(errorIs(
      loadError(config(kAcceptCert, "        ocsp_staple: s.ocsp\n")),
      "test.yaml:10:9: listeners[0].connect.tls.ocsp_staple: ", "belongs on the accept side"));
}

// ---------------------------------------------------------------- session

TEST(TlsConfigTest, SessionDefaults) {
  const Config loaded = load(config(kAcceptCert, kVerifyOn));
  const ServerSessionConfig& accept = loaded.listeners[0].accept.tls->session;
  EXPECT_TRUE(accept.tickets);
  EXPECT_TRUE(accept.ticket_keys.value.empty());
  EXPECT_EQ(accept.cache_size, 20000U);
  EXPECT_EQ(accept.timeout, std::chrono::seconds(300));
  EXPECT_TRUE(loaded.listeners[0].connect.tls->session.resume);
}

TEST(TlsConfigTest, SessionValues) {
  const ServerTlsConfig accept = acceptTls(
      config(std::string(kAcceptCert) +
                 "        session: { tickets: true, ticket_keys: tickets.key, cache_size: 0, "
                 "timeout: 1h }\n",
             ""));
  EXPECT_EQ(accept.session.ticket_keys.value, "/etc/tlsgate/tickets.key");
  EXPECT_EQ(accept.session.ticket_keys.mark.str(), "test.yaml:7:48");
  EXPECT_EQ(accept.session.cache_size, 0U);
  EXPECT_EQ(accept.session.timeout, std::chrono::hours(1));
  EXPECT_FALSE(
      connectTls(config(kAcceptCert, "        session: { resume: false }\n")).session.resume);
}

TEST(TlsConfigTest, SessionKeysBelongToOneSide) {
  EXPECT_TRUE(errorIs(
      loadError(config(std::string(kAcceptCert) + "        session: { resume: true }\n", "")),
      "test.yaml:7:20: listeners[0].accept.tls.session.resume: ", "belongs on the connect side"));
  EXPECT_TRUE(errorIs(
      loadError(config(kAcceptCert, "        session: { tickets: false }\n")),
      "test.yaml:10:20: listeners[0].connect.tls.session.tickets: ", "belongs on the accept side"));
  EXPECT_TRUE(errorIs(
      loadError(config(std::string(kAcceptCert) + "        session: { ticket_key: k }\n", "")),
      "test.yaml:7:20: listeners[0].accept.tls.session.ticket_key: ",
      "did you mean 'ticket_keys'"));
  // From tls_defaults, each side takes its own session keys.
  const Config loaded =
      load(config(kAcceptCert, kVerifyOn, "    session: { resume: false, cache_size: 5 }\n"));
  EXPECT_EQ(loaded.listeners[0].accept.tls->session.cache_size, 5U);
  EXPECT_FALSE(loaded.listeners[0].connect.tls->session.resume);
}

TEST(TlsConfigTest, SessionValueErrors) {
  const std::string prefix = std::string(kAcceptCert) + "        session: ";
  EXPECT_TRUE(errorIs(loadError(config(prefix + "{ timeout: 500ms }\n", "")),
                      "test.yaml:7:29: listeners[0].accept.tls.session.timeout: ", "at least 1s"));
  EXPECT_TRUE(errorIs(loadError(config(prefix + "{ cache_size: -1 }\n", "")),
                      "test.yaml:7:32: listeners[0].accept.tls.session.cache_size: ", "from 0"));
  EXPECT_TRUE(errorIs(loadError(config(prefix + "{ tickets: false, ticket_keys: k }\n", "")),
                      "test.yaml:7:49: listeners[0].accept.tls.session.ticket_keys: ",
                      "has no effect with tickets: false"));
}

TEST(TlsConfigTest, Alpn) {
  EXPECT_TRUE(errorIs(loadError(config(std::string(kAcceptCert) + "        alpn: [h2, '']\n", "")),
                      "test.yaml:7:20: listeners[0].accept.tls.alpn[1]: ", "must not be empty"));
  const std::string long_name(256, 'x');
  EXPECT_TRUE(errorIs(
      loadError(config(std::string(kAcceptCert) + "        alpn: [" + long_name + "]\n", "")),
      "test.yaml:7:16: listeners[0].accept.tls.alpn[0]: ", "at most 255 bytes"));
  EXPECT_EQ(
      acceptTls(
          config(std::string(kAcceptCert) + "        alpn: [" + std::string(255, 'y') + "]\n", ""))
          .alpn[0]
          .size(),
      255u);
}

// ---------------------------------------------------------------- connect side

TEST(TlsConfigTest, KeyOrPasswordWithoutCert) {
  EXPECT_EQ(loadError(config("", "        key: client.key\n")),
            "test.yaml:8:14: listeners[0].connect.tls.key: needs cert: the client certificate's "
            "key and password go with a cert");
  EXPECT_TRUE(errorIs(loadError(config("", "        password: { env: PASS }\n")),
                      "test.yaml:8:19: listeners[0].connect.tls.password: ", "needs cert"));
}

TEST(TlsConfigTest, VerifyFalseWithPeerName) {
  EXPECT_EQ(loadError(config("", "        verify: false\n        peer_name: other.example\n")),
            "test.yaml:9:20: listeners[0].connect.tls.peer_name: has no effect with verify: false; "
            "remove one of them (verify: false turns off name checks too)");
  EXPECT_FALSE(connectTls(config("", "        verify: false\n")).verify);
}

TEST(TlsConfigTest, UnixBackendNeedsANameToVerify) {
  const std::string unix_backend =
      "listeners:\n  - name: web\n    accept: { address: 127.0.0.1:8443 }\n"
      "    connect:\n      address: unix:/run/app.sock\n      tls:\n";
  EXPECT_TRUE(errorIs(loadError(unix_backend + "        alpn: [h2]\n"),
                      "test.yaml:7:9: listeners[0].connect.tls: ", "set servername or peer_name"));
  EXPECT_EQ(connectTls(unix_backend + "        servername: app.internal\n").servername,
            "app.internal");
  EXPECT_FALSE(connectTls(unix_backend + "        verify: false\n").verify);
}

}  // namespace
}  // namespace tlsgate
