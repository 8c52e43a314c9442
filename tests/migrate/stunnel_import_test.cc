#include "migrate/stunnel_import.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "config/config.h"
#include "config/config_loader.h"
#include "migrate/stunnel_conf.h"
#include "util/config_error.h"
#include "x509/certificate_info.h"
#include "x509/self_signed.h"

namespace tlsgate {
namespace {

struct Converted {
  ImportResult result;
  Config config;  // the result, loaded the way `tlsgate check` loads it

  // The warning that mentions `text`, or "" when none does.
  std::string warningAbout(std::string_view text) const {
    for (const ImportWarning& warning : result.warnings) {
      if (warning.str().find(text) != std::string::npos) {
        return warning.str();
      }
    }
    return "";
  }
  // The warnings but the one about the TLS 1.2 cipher default, which every
  // file without a ciphers line gets (see CiphersDefault... below).
  std::vector<ImportWarning> differences() const {
    std::vector<ImportWarning> out;
    for (const ImportWarning& warning : result.warnings) {
      if (warning.message.rfind("no ciphers line", 0) != 0) {
        out.push_back(warning);
      }
    }
    return out;
  }
  const ListenerConfig& listener(std::string_view name) const {
    const auto it = std::find_if(config.listeners.begin(), config.listeners.end(),
                                 [&](const ListenerConfig& l) { return l.name == name; });
    if (it == config.listeners.end()) {
      throw std::runtime_error("no listener " + std::string(name) + " in\n" + result.yaml);
    }
    return *it;
  }
};

Converted convert(std::string_view text) {
  const StunnelConf conf = parseStunnelConf(
      text, "stunnel.conf", [](const StunnelOption&) { return std::vector<IncludedFile>{}; });
  Converted out{importStunnel(conf, "stunnel.conf"), {}};
  out.config = ConfigLoader::loadString(out.result.yaml, "converted.yaml", "/");
  return out;
}

std::string errorOf(std::string_view text) {
  try {
    convert(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(StunnelImportTest, AWarningQuotesControlBytesAsEscapes) {
  const Converted c = convert(
      "engine = a\x1b[2Jb\n"
      "[https]\n"
      "accept = 443\n"
      "connect = 80\n"
      "cert = /etc/stunnel/stunnel.pem\n");
  EXPECT_EQ(c.warningAbout("engine"),
            "stunnel.conf:1: warning: engine = a\\x1b[2Jb left out: tlsgate loads keys from "
            "files only, not from OpenSSL engines");
}

// stunnel reads '$' as itself; tlsgate expands ${VAR} in every value.
TEST(StunnelImportTest, DollarSignsStayDollarSigns) {
  const Converted c = convert(
      "[https]\n"
      "accept = 443\n"
      "connect = 80\n"
      "cert = /etc/stunnel/${HOME}$$x.pem\n"
      "key = /etc/stunnel/${TLSGATE_NOT_SET}.key\n");
  const ListenerConfig& https = c.listener("https");
  ASSERT_TRUE(https.accept.tls);
  ASSERT_EQ(https.accept.tls->certificates.size(), 1U);
  EXPECT_EQ(https.accept.tls->certificates[0].cert.value, "/etc/stunnel/${HOME}$$x.pem");
  EXPECT_EQ(https.accept.tls->certificates[0].key.value, "/etc/stunnel/${TLSGATE_NOT_SET}.key");
}

TEST(StunnelImportTest, AServerServiceTerminatesTlsInFrontOfItsBackend) {
  const Converted c = convert(
      "[https]\n"
      "accept = 443\n"
      "connect = 80\n"
      "cert = /etc/stunnel/stunnel.pem\n");
  const ListenerConfig& https = c.listener("https");
  EXPECT_EQ(https.accept.address.host, "0.0.0.0");  // stunnel: all IPv4 addresses
  EXPECT_EQ(https.accept.address.port, 443);
  ASSERT_TRUE(https.accept.tls);
  ASSERT_EQ(https.accept.tls->certificates.size(), 1U);
  EXPECT_EQ(https.accept.tls->certificates[0].cert.value, "/etc/stunnel/stunnel.pem");
  EXPECT_EQ(https.accept.tls->client_certs.mode, ClientCertMode::none);
  EXPECT_EQ(https.connect.address().host, "localhost");  // stunnel's default host
  EXPECT_EQ(https.connect.address().port, 80);
  EXPECT_FALSE(https.connect.tls);
  EXPECT_TRUE(c.differences().empty()) << c.differences().front().str();
  // Each key says where it came from.
  EXPECT_NE(c.result.yaml.find("cert: /etc/stunnel/stunnel.pem  # stunnel.conf:4"),
            std::string::npos)
      << c.result.yaml;
}

TEST(StunnelImportTest, CiphersDefaultStaysTlsgatesWithOneWarning) {
  Converted c = convert(
      "[a]\naccept = 1\nconnect = 2\ncert = c.pem\n"
      "[b]\nclient = yes\naccept = 3\nconnect = h:4\nverifyChain = yes\ncheckHost = h\n");
  EXPECT_EQ(c.listener("a").accept.tls->cipher, "");  // tlsgate's default
  ASSERT_EQ(c.result.warnings.size(), 1U);
  EXPECT_EQ(c.result.warnings[0].str(),
            "stunnel.conf:1: warning: no ciphers line: stunnel's default TLS 1.2 cipher list, "
            "HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK, also admits CBC suites (LUCKY13); tlsgate's default "
            "admits only ECDHE+AESGCM:ECDHE+CHACHA20, for this and every other service without "
            "ciphers. To keep stunnel's list, set cipher: \"HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK\"");
  // A ciphers line, or TLS 1.3 only, leaves nothing to say.
  c = convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nciphers = ECDHE+AESGCM\n");
  EXPECT_TRUE(c.result.equivalent());
  c = convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nsslVersionMin = TLSv1.3\n");
  EXPECT_TRUE(c.result.equivalent());
}

TEST(StunnelImportTest, StunnelsTimeoutDefaultsAreKept) {
  const Converted c = convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\n");
  EXPECT_EQ(c.config.global.timeouts.handshake, std::chrono::seconds(300));
  EXPECT_EQ(c.config.global.timeouts.connect, std::chrono::seconds(10));
  EXPECT_EQ(c.config.global.timeouts.idle, std::chrono::hours(12));
  EXPECT_EQ(c.config.global.timeouts.close, std::chrono::seconds(60));
}

TEST(StunnelImportTest, TimeoutsThatDifferBetweenServicesTakeTheLongestWithAWarning) {
  const Converted c = convert(
      "TIMEOUTconnect = 3\n"
      "[a]\naccept = 1\nconnect = 2\ncert = c.pem\nTIMEOUTidle = 60\n"
      "[b]\naccept = 3\nconnect = 4\ncert = c.pem\nTIMEOUTidle = 120\n");
  EXPECT_EQ(c.config.global.timeouts.connect, std::chrono::seconds(3));
  EXPECT_EQ(c.config.global.timeouts.idle, std::chrono::minutes(2));
  EXPECT_EQ(
      c.warningAbout("TIMEOUTidle"),
      "stunnel.conf:6: warning: TIMEOUTidle = 60 for [a]: tlsgate's timeouts are the same for "
      "every "
      "listener, and the longest one, 2m, applies");
}

TEST(StunnelImportTest, GlobalOptionsBecomeGlobalKeys) {
  const Converted c = convert(
      "setuid = stunnel4\nsetgid = nogroup\ndebug = daemon.warning\noutput = /var/log/st.log\n"
      "[a]\naccept = 1\nconnect = 2\ncert = c.pem\n");
  EXPECT_EQ(c.config.global.user, "stunnel4");
  EXPECT_EQ(c.config.global.group, "nogroup");
  EXPECT_EQ(c.config.global.log.level, "warn");
  EXPECT_EQ(c.config.global.log.file, "/var/log/st.log");
  EXPECT_TRUE(c.differences().empty());
  EXPECT_EQ(convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\n").config.global.log.file,
            "syslog");
  EXPECT_EQ(convert("foreground = yes\nsyslog = no\n[a]\naccept = 1\nconnect = 2\ncert = c.pem\n")
                .config.global.log.file,
            "stderr");
}

TEST(StunnelImportTest, AddressesInEveryForm) {
  const Converted c = convert(
      "[v6]\naccept = :::443\nconnect = /run/app.sock\ncert = c.pem\n"
      "[host]\naccept = 127.0.0.2:444\nconnect = [::1]:80\ncert = c.pem\n"
      "[unix]\naccept = /run/tlsgate.sock\nsetuid = www-data\nsetgid = www-data\n"
      "connect = backend.example:8080\ncert = c.pem\n");
  EXPECT_EQ(c.listener("v6").accept.address.host, "::");
  EXPECT_EQ(c.listener("v6").connect.address().unix_path, "/run/app.sock");
  EXPECT_EQ(c.listener("host").accept.address.host, "127.0.0.2");
  const ListenerConfig& unix_listener = c.listener("unix");
  EXPECT_EQ(unix_listener.accept.address.unix_path, "/run/tlsgate.sock");
  EXPECT_EQ(unix_listener.accept.unix_socket.owner, "www-data");
  EXPECT_EQ(unix_listener.accept.unix_socket.group, "www-data");
  EXPECT_EQ(unix_listener.connect.address().host, "backend.example");
  EXPECT_EQ(errorOf("[a]\naccept = 99999\nconnect = 1\ncert = c.pem\n"),
            "stunnel.conf:2: accept: expected [HOST:]PORT with a port number from 1 to 65535 or "
            "a /unix/path, found '99999'");
}

TEST(StunnelImportTest, SeveralConnectLinesFailOverInOrderUnlessRoundRobin) {
  Converted c = convert("[a]\naccept = 1\nconnect = 2\nconnect = h:3\ncert = c.pem\n");
  EXPECT_EQ(c.listener("a").connect.addresses.size(), 2U);
  EXPECT_EQ(c.listener("a").connect.balance, Balance::failover);  // stunnel's prio
  c = convert("[a]\naccept = 1\nconnect = 2\nconnect = h:3\nfailover = rr\ncert = c.pem\n");
  EXPECT_EQ(c.listener("a").connect.balance, Balance::round_robin);
}

TEST(StunnelImportTest, VerifyChainOnAServerRequiresClientCertificates) {
  const Converted c = convert(
      "[a]\naccept = 1\nconnect = 2\ncert = c.pem\nverifyChain = yes\nCAfile = ca.pem\n"
      "CRLfile = ca.crl\ncheckHost = Billing.Example\ncheckIP = 10.0.0.1\n");
  const ClientCertConfig& clients = c.listener("a").accept.tls->client_certs;
  EXPECT_EQ(clients.mode, ClientCertMode::require);
  EXPECT_EQ(clients.cafile.value, "/ca.pem");  // relative to the converted file
  EXPECT_EQ(clients.crl.value, "/ca.crl");
  EXPECT_EQ(clients.allow.san_dns, std::vector<std::string>{"billing.example"});
  EXPECT_EQ(clients.allow.san_ip, std::vector<std::string>{"10.0.0.1"});
  EXPECT_TRUE(c.differences().empty());
}

TEST(StunnelImportTest, RequireCertNoOrVerifyOneOnlyRequestsTheCertificate) {
  EXPECT_EQ(convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nverifyChain = yes\n"
                    "requireCert = no\nCAfile = ca.pem\n")
                .listener("a")
                .accept.tls->client_certs.mode,
            ClientCertMode::request);
  EXPECT_EQ(convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nverify = 1\nCAfile = ca.pem\n")
                .listener("a")
                .accept.tls->client_certs.mode,
            ClientCertMode::request);
}

TEST(StunnelImportTest, OptionsThatNeedNothingStillLeaveAComment) {
  const Converted c = convert(
      "log = append\noutput = /var/log/s.log\n[a]\naccept = 1\nconnect = 2\ncert = c.pem\n"
      "options = NO_SSLv3\nrenegotiation = no\nverify = 0\nOCSPaia = no\nreset = no\n");
  EXPECT_TRUE(c.differences().empty()) << c.differences().front().str();
  EXPECT_EQ(c.listener("a").accept.tls->client_certs.mode, ClientCertMode::none);
  for (const char* note :
       {"# log = append (stunnel.conf:1): tlsgate appends too",
        "# options = NO_SSLv3 (stunnel.conf:7): what OpenSSL 3 and tlsgate do anyway",
        "# renegotiation = no (stunnel.conf:8): tlsgate never renegotiates",
        "# verify = 0 (stunnel.conf:9): stunnel asked for a client certificate and ignored it",
        "# OCSPaia = no (stunnel.conf:10): off, as in tlsgate",
        "# reset = no (stunnel.conf:11): tlsgate ends failed connections with a FIN too"}) {
    EXPECT_NE(c.result.yaml.find(note), std::string::npos) << note << "\n" << c.result.yaml;
  }
}

TEST(StunnelImportTest, ACaFileWithoutVerificationChangesNothing) {
  const Converted c = convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nCAfile = ca.pem\n");
  EXPECT_EQ(c.listener("a").accept.tls->client_certs.mode, ClientCertMode::none);
  EXPECT_TRUE(c.differences().empty());
  EXPECT_NE(c.result.yaml.find("# CAfile = ca.pem (stunnel.conf:5): not used"), std::string::npos);
}

TEST(StunnelImportTest, CheckEmailIsNeverDroppedSilently) {
  const Converted c = convert(
      "[a]\naccept = 1\nconnect = 2\ncert = c.pem\nverifyChain = yes\nCAfile = ca.pem\n"
      "checkEmail = ops@example.com\n");
  EXPECT_NE(c.warningAbout("checkEmail = ops@example.com left out"), "");
  EXPECT_NE(c.result.yaml.find("# left out: checkEmail = ops@example.com (stunnel.conf:7)"),
            std::string::npos);
}

TEST(StunnelImportTest, AClientServiceThatDidNotVerifyGetsVerificationWithAWarning) {
  const Converted c =
      convert("[imap]\nclient = yes\naccept = 127.0.0.1:143\nconnect = imap.example.com:993\n");
  const ListenerConfig& imap = c.listener("imap");
  EXPECT_FALSE(imap.accept.tls);
  ASSERT_TRUE(imap.connect.tls);
  EXPECT_TRUE(imap.connect.tls->verify);
  EXPECT_EQ(c.warningAbout("verify"),
            "stunnel.conf:1: warning: [imap] did not verify the server's certificate; tlsgate "
            "verifies it against the system trust store and the name 'imap.example.com'. To keep "
            "the old behaviour, set verify: false");
}

TEST(StunnelImportTest, VerifyZeroOnAClientIsNoVerification) {
  const Converted c = convert("[a]\nclient = yes\naccept = 1\nconnect = h:2\nverify = 0\n");
  EXPECT_TRUE(c.listener("a").connect.tls->verify);
  EXPECT_NE(c.warningAbout("did not verify the server's certificate"), "");
  EXPECT_EQ(c.differences().size(), 1U);
}

TEST(StunnelImportTest, AUnixSocketBackendIsVerifiedByCheckHostOnly) {
  Converted c = convert("[a]\nclient = yes\naccept = 1\nconnect = /run/tls.sock\n");
  EXPECT_FALSE(c.listener("a").connect.tls->verify);
  c = convert("[a]\nclient = yes\naccept = 1\nconnect = /run/tls.sock\nconnect = h:2\n");
  EXPECT_FALSE(c.listener("a").connect.tls->verify);  // no one name serves both
  EXPECT_NE(c.warningAbout("its unix socket has no name to verify it by"), "");
  c = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = /run/tls.sock\nverifyChain = yes\n"
      "checkHost = backend.example\n");
  EXPECT_TRUE(c.listener("a").connect.tls->verify);
  EXPECT_EQ(c.listener("a").connect.tls->peer_name, "backend.example");
  EXPECT_EQ(
      errorOf("[a]\nclient = yes\naccept = 1\nconnect = /run/tls.sock\nverifyChain = yes\n"),
      "stunnel.conf:5: a unix-socket backend has no name, and tlsgate verifies a name as well "
      "as the chain: add checkHost = NAME, the name in its certificate");
}

// stunnel checks no name when it verifies nothing; tlsgate, which verifies,
// takes checkHost's as the name of a unix-socket backend.
TEST(StunnelImportTest, AnUnverifiedUnixSocketBackendIsVerifiedByCheckHost) {
  const Converted c = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = /run/tls.sock\ncheckHost = backend.example\n"
      "checkHost = other.example\n");
  const ClientTlsConfig& tls = *c.listener("a").connect.tls;
  EXPECT_TRUE(tls.verify);
  EXPECT_EQ(tls.peer_name, "backend.example");
  EXPECT_NE(c.warningAbout("and the name 'backend.example'. To keep the old behaviour"), "");
  EXPECT_NE(c.result.yaml.find("# left out: checkHost = other.example (stunnel.conf:6)"),
            std::string::npos)
      << c.result.yaml;
}

TEST(StunnelImportTest, BehindAnHttpProxyTheBackendIsVerifiedByItsOwnName) {
  const Converted c = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = proxy:3128\nprotocol = connect\n"
      "protocolHost = backend.example:443\n");
  EXPECT_NE(c.warningAbout("and the name 'backend.example'"), "");
}

TEST(StunnelImportTest, VerifyChainWithCheckHostVerifiesThatName) {
  const Converted c = convert(
      "[pop]\nclient = yes\naccept = 110\nconnect = 10.0.0.5:995\nverifyChain = yes\n"
      "CApath = /etc/ssl/certs\ncheckHost = pop.example.com\nsni = pop.example.com\n");
  const ClientTlsConfig& tls = *c.listener("pop").connect.tls;
  EXPECT_TRUE(tls.verify);
  EXPECT_EQ(tls.peer_name, "pop.example.com");
  EXPECT_EQ(tls.servername, "pop.example.com");
  EXPECT_EQ(tls.cadir.value, "/etc/ssl/certs");
  EXPECT_TRUE(c.differences().empty()) << c.differences().front().str();
}

TEST(StunnelImportTest, VerifyChainWithoutANameNowChecksTheNameToo) {
  const Converted c = convert(
      "[pop]\nclient = yes\naccept = 110\nconnect = pop.example.com:995\nverifyChain = yes\n");
  EXPECT_NE(c.warningAbout("stunnel checked the chain only"), "");
}

TEST(StunnelImportTest, ClientCertificatesGoOnTheConnectSide) {
  const Converted c = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = h:2\ncert = client.pem\nkey = client.key\n"
      "verifyChain = yes\ncheckHost = h\n");
  const ClientTlsConfig& tls = *c.listener("a").connect.tls;
  ASSERT_TRUE(tls.client_certificate);
  EXPECT_EQ(tls.client_certificate->cert.value, "/client.pem");
  EXPECT_EQ(tls.client_certificate->key.value, "/client.key");
}

TEST(StunnelImportTest, TlsPolicyOptions) {
  const Converted c = convert(
      "[a]\naccept = 1\nconnect = 2\ncert = c.pem\nciphers = ECDHE+AESGCM\n"
      "ciphersuites = TLS_AES_256_GCM_SHA384\ncurves = X25519:P-256\nsecurityLevel = 3\n"
      "sslVersion = TLSv1.2\n");
  const ServerTlsConfig& tls = *c.listener("a").accept.tls;
  EXPECT_EQ(tls.cipher, "ECDHE+AESGCM");
  EXPECT_EQ(tls.ciphersuites, "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(tls.groups, "X25519:P-256");
  EXPECT_EQ(tls.security_level, 3);
  EXPECT_EQ(tls.protocols, std::vector<TlsProtocol>{TlsProtocol::tls1_2});
}

TEST(StunnelImportTest, ProtocolOptionsNarrowTheVersions) {
  EXPECT_EQ(convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\noptions = NO_TLSv1_3\n")
                .listener("a")
                .accept.tls->protocols,
            std::vector<TlsProtocol>{TlsProtocol::tls1_2});
  EXPECT_EQ(
      convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nsslVersionMax = TLSv1.2\n"
              "sslVersionMin = TLSv1\nsecurityLevel = 0\n")
          .listener("a")
          .accept.tls->protocols,
      (std::vector<TlsProtocol>{TlsProtocol::tls1_0, TlsProtocol::tls1_1, TlsProtocol::tls1_2}));
  // Options that OpenSSL 3 and tlsgate apply anyway need nothing.
  const Converted c = convert(
      "options = NO_SSLv3\noptions = SINGLE_ECDH_USE\n[a]\naccept = 1\nconnect = 2\ncert = "
      "c.pem\n");
  EXPECT_TRUE(c.differences().empty());
  EXPECT_EQ(c.listener("a").accept.tls->protocols,
            (std::vector<TlsProtocol>{TlsProtocol::tls1_2, TlsProtocol::tls1_3}));
}

TEST(StunnelImportTest, SessionOptions) {
  Converted c = convert(
      "[a]\naccept = 1\nconnect = 2\ncert = c.pem\nsessionCacheSize = 500\n"
      "sessionCacheTimeout = 600\noptions = NO_TICKET\n");
  const ServerSessionConfig& session = c.listener("a").accept.tls->session;
  EXPECT_EQ(session.cache_size, 500U);
  EXPECT_EQ(session.timeout, std::chrono::minutes(10));
  EXPECT_FALSE(session.tickets);
  c = convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nsessionResume = no\n");
  EXPECT_EQ(c.listener("a").accept.tls->session.cache_size, 0U);
  EXPECT_FALSE(c.listener("a").accept.tls->session.tickets);
  c = convert("[a]\nclient = yes\naccept = 1\nconnect = h:2\nsessionResume = no\n");
  EXPECT_FALSE(c.listener("a").connect.tls->session.resume);
}

TEST(StunnelImportTest, ProtocolBecomesStarttlsOnTheRightSide) {
  Converted c = convert("[smtps]\naccept = 465\nconnect = 25\ncert = c.pem\nprotocol = smtp\n");
  EXPECT_EQ(c.listener("smtps").accept.starttls.protocol, StarttlsProtocol::smtp);
  c = convert(
      "[pg]\nclient = yes\naccept = 5433\nconnect = db:5432\nprotocol = pgsql\n"
      "verifyChain = yes\ncheckHost = db\n");
  EXPECT_EQ(c.listener("pg").connect.starttls, StarttlsProtocol::postgres);
  c = convert("[p]\naccept = 1\nconnect = 2\ncert = c.pem\nprotocol = proxy\n");
  EXPECT_EQ(c.listener("p").connect.proxy_protocol.version, ProxyProtocolVersion::v1);
  c = convert("[s]\naccept = 1\nconnect = 2\ncert = c.pem\nprotocol = socks\n");
  EXPECT_NE(c.warningAbout("protocol = socks left out"), "");
}

TEST(StunnelImportTest, ProtocolConnectGoesThroughTheProxy) {
  const Converted c = convert(
      "[out]\nclient = yes\naccept = 8443\nconnect = proxy:3128\nprotocol = connect\n"
      "protocolHost = backend.example:443\nprotocolUsername = u\nprotocolPassword = hunter2\n"
      "verifyChain = yes\ncheckHost = backend.example\n");
  const ConnectConfig& connect = c.listener("out").connect;
  EXPECT_EQ(connect.address().host, "backend.example");
  EXPECT_EQ(connect.via.kind, ViaConfig::Kind::http_connect);
  EXPECT_EQ(connect.via.proxy.host, "proxy");
  // The password is never printed.
  EXPECT_EQ(c.result.yaml.find("hunter2"), std::string::npos);
  EXPECT_NE(c.warningAbout("protocolPassword = (not shown) left out"), "");
}

TEST(StunnelImportTest, SniSecondariesBecomeCertificatesAndRoutesOfTheirPrimary) {
  const Converted c = convert(
      "[web]\naccept = 443\nconnect = 8080\ncert = default.pem\n"
      "[api]\nsni = web:api.example.com\ncert = api.pem\nconnect = 9000\n"
      "[wild]\nsni = web:*.Example.org\ncert = wild.pem\nconnect = 9001\n");
  ASSERT_EQ(c.config.listeners.size(), 1U);
  const ListenerConfig& web = c.listener("web");
  ASSERT_EQ(web.accept.tls->certificates.size(), 3U);
  EXPECT_EQ(web.accept.tls->certificates[0].cert.value, "/default.pem");  // still the default
  EXPECT_EQ(web.accept.tls->certificates[1].cert.value, "/api.pem");
  ASSERT_EQ(web.routes.size(), 2U);
  EXPECT_EQ(web.routes[0].match.sni, std::vector<std::string>{"api.example.com"});
  EXPECT_EQ(web.routes[0].connect.address().port, 9000);
  EXPECT_EQ(web.routes[1].match.sni, std::vector<std::string>{"*.example.org"});
  EXPECT_TRUE(c.differences().empty());
}

TEST(StunnelImportTest, WhatHasNoEquivalentIsACommentAndAWarning) {
  const Converted c = convert(
      "pid = /run/stunnel.pid\nchroot = /var/lib/stunnel\nRNDfile = /dev/urandom\n"
      "[shell]\naccept = 1337\nconnect = 1\ncert = c.pem\nexec = /bin/sh\n"
      "ticketKeySecret = 0011223344556677\nsomethingNew = 1\n");
  EXPECT_EQ(c.warningAbout("pid"),
            "stunnel.conf:1: warning: pid = /run/stunnel.pid left out: tlsgate writes no PID "
            "file: it runs in the foreground and systemd tracks it");
  EXPECT_NE(c.warningAbout("chroot = /var/lib/stunnel left out"), "");
  EXPECT_NE(c.warningAbout("exec = /bin/sh left out"), "");
  EXPECT_NE(c.warningAbout("ticketKeySecret = (not shown) left out"), "");
  EXPECT_EQ(c.warningAbout("somethingNew"),
            "stunnel.conf:10: warning: somethingNew = 1 left out: tlsgate has no equivalent of "
            "stunnel's somethingNew");
  EXPECT_EQ(c.result.yaml.find("0011223344556677"), std::string::npos);
  // RNDfile changes nothing: a comment, no warning.
  EXPECT_EQ(c.warningAbout("RNDfile"), "");
  EXPECT_NE(c.result.yaml.find("# RNDfile = /dev/urandom (stunnel.conf:3)"), std::string::npos);
  EXPECT_EQ(c.differences().size(), 5U);
}

TEST(StunnelImportTest, SocketOptionsThatTlsgateSetsAnywayNeedNothing) {
  Converted c = convert(
      "pid =\nsocket = a:SO_REUSEADDR=yes\n[a]\naccept = 1\nconnect = 2\ncert = c.pem\n"
      "socket = l:TCP_NODELAY=1\nsocket = r:TCP_NODELAY=1\n");
  EXPECT_TRUE(c.differences().empty()) << c.differences().front().str();
  c = convert("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nsocket = l:SO_LINGER=1:60\n");
  EXPECT_NE(c.warningAbout("socket = l:SO_LINGER=1:60 left out: tlsgate sets SO_REUSEADDR"), "");
}

TEST(StunnelImportTest, WhatStunnelRefusesIsAnError) {
  EXPECT_EQ(errorOf("debug = 7\n"),
            "stunnel.conf: no [service] section: there is nothing to listen on");
  EXPECT_EQ(errorOf("[a]\naccept = 1\nconnect = 2\n"),
            "stunnel.conf:1: [a] is a server service without cert; stunnel needs one too");
  EXPECT_EQ(errorOf("[a]\naccept = 1\nconnect = 2\nkey = k.pem\n"),
            "stunnel.conf:1: [a] is a server service without cert; stunnel needs one too");
  EXPECT_EQ(errorOf("[a]\naccept = 1\ncert = c.pem\n"),
            "stunnel.conf:1: [a] has no connect address");
  EXPECT_EQ(errorOf("[a]\nclient = maybe\naccept = 1\nconnect = 2\n"),
            "stunnel.conf:2: client: expected yes or no, found 'maybe'");
  EXPECT_EQ(errorOf("[a]\naccept = 1\nconnect = 2\ncert = c.pem\nverify = 5\n"),
            "stunnel.conf:5: verify: expected 0 to 4, found '5'");
  // A value that stunnel takes on trust and tlsgate refuses names its line.
  EXPECT_EQ(errorOf("[a]\naccept = 1\nconnect = bad`host:2\ncert = c.pem\n"),
            "stunnel.conf:3: tlsgate refuses the converted value: listeners[0].connect.address: "
            "'bad`host' in 'bad`host:2' is not a host name or IPv4 address");
  // Even when tlsgate's reason quotes a control character of the value.
  EXPECT_EQ(errorOf("[a]\naccept = 1\nconnect = bad\rhost:2\ncert = c.pem\n")
                .rfind("stunnel.conf:3: tlsgate refuses the converted value: ", 0),
            0U);
  EXPECT_EQ(errorOf("[a]\nsni = a:x\ncert = c.pem\n"),
            "stunnel.conf:2: sni: [a] cannot be its own primary service");
  EXPECT_EQ(errorOf("[a]\nsni = b:x\ncert = c.pem\n[b]\nsni = c:y\ncert = c.pem\n"
                    "[c]\naccept = 1\nconnect = 2\ncert = c.pem\n"),
            "stunnel.conf:1: [a] names [b] as its primary, which is itself the secondary of [c]");
  EXPECT_EQ(errorOf("[a]\nsni = nowhere:x\ncert = c.pem\n"),
            "stunnel.conf:2: sni: no service is called [nowhere]");
  // A client service's own sni line is the name it sends, so it has no
  // secondaries, nor may one be named after it.
  EXPECT_EQ(errorOf("[p]\nclient = yes\naccept = 1\nconnect = h:2\n[s]\nsni = p:x\n"
                    "connect = h:3\ncert = c.pem\n"),
            "stunnel.conf:6: sni: [p] is a client service; the primary of an sni secondary "
            "accepts TLS");
  EXPECT_EQ(errorOf("client = yes\n[p]\nclient = no\naccept = 1\nconnect = 2\ncert = c.pem\n"
                    "[s]\nclient = no\nsni = q:x\ncert = c.pem\n[q]\naccept = 3\nconnect = h:4\n"),
            "stunnel.conf:9: sni: [q] is a client service; the primary of an sni secondary "
            "accepts TLS");
}

// A new self-signed certificate for peer.example in the test's temporary
// directory: its path, and the pin tlsgate takes for it.
std::pair<std::string, std::string> peerCertificate(const std::string& name) {
  const std::string cert = ::testing::TempDir() + "/" + name + ".pem";
  const std::string key = ::testing::TempDir() + "/" + name + ".key";
  std::remove(cert.c_str());
  std::remove(key.c_str());
  ensureSelfSigned(cert, key, {"peer.example"}, {});
  return {cert, sha256Fingerprint(loadCertificates(cert).front().get())};
}

TEST(StunnelImportTest, VerifyPeerPinsTheCertificatesOfCaFile) {
  // The pins are read from CAfile when the file is converted.
  const auto [cert, pin] = peerCertificate("stunnel_import_peer");

  Converted c = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = h:2\nverifyPeer = yes\nCAfile = " + cert + "\n");
  const ClientTlsConfig& client = *c.listener("a").connect.tls;
  EXPECT_TRUE(client.verify);  // pins are checked after the chain
  EXPECT_EQ(client.pin_sha256, std::vector<std::string>{pin});
  EXPECT_NE(c.warningAbout("verifyPeer without verifyChain"), "");

  c = convert("[b]\naccept = 1\nconnect = 2\ncert = c.pem\nverifyPeer = yes\nCAfile = " + cert +
              "\n");
  const ClientCertConfig& clients = c.listener("b").accept.tls->client_certs;
  EXPECT_EQ(clients.mode, ClientCertMode::require);
  EXPECT_EQ(clients.allow.sha256, std::vector<std::string>{pin});

  c = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = h:2\nverifyPeer = yes\nCAfile = "
      "/nonexistent.pem\n");
  EXPECT_NE(c.warningAbout("verifyPeer"), "");
}

TEST(StunnelImportTest, ServicesThatShareACaFileGetTheSamePins) {
  // The file is read once per import; each service still gets its pins,
  // and a file that cannot be read is reported at each line that names it.
  const auto [cert, pin] = peerCertificate("stunnel_import_shared_peer");

  const Converted c = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = h:2\nverifyPeer = yes\nCAfile = " + cert +
      "\n[b]\naccept = 3\nconnect = 4\ncert = c.pem\nverifyPeer = yes\nCAfile = " + cert +
      "\n[c]\nclient = yes\naccept = 5\nconnect = h:6\nverifyPeer = yes\nCAfile = " + cert + "\n");
  EXPECT_EQ(c.listener("a").connect.tls->pin_sha256, std::vector<std::string>{pin});
  EXPECT_EQ(c.listener("b").accept.tls->client_certs.allow.sha256, std::vector<std::string>{pin});
  EXPECT_EQ(c.listener("c").connect.tls->pin_sha256, std::vector<std::string>{pin});

  const Converted missing = convert(
      "[a]\nclient = yes\naccept = 1\nconnect = h:2\nverifyPeer = yes\nCAfile = /nonexistent.pem\n"
      "[b]\nclient = yes\naccept = 3\nconnect = h:4\nverifyPeer = yes\nCAfile = "
      "/nonexistent.pem\n");
  EXPECT_NE(missing.warningAbout("stunnel.conf:6: warning: verifyPeer"), "");
  EXPECT_NE(missing.warningAbout("stunnel.conf:12: warning: verifyPeer"), "");
}

}  // namespace
}  // namespace tlsgate
