#include "migrate/hitch_import.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "support/temp_dir.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

struct Converted {
  ImportResult result;
  YAML::Node yaml;
  Config config;

  // Every warning but the one about the TLS 1.2 cipher default, which every
  // file without ciphers gets (CiphersDefaultStaysTlsgates... pins it), one
  // per line.
  std::string warnings() const {
    std::string out;
    for (const ImportWarning& warning : result.warnings) {
      if (warning.message.rfind("no ciphers line", 0) != 0) {
        out += warning.str() + "\n";
      }
    }
    return out;
  }
  // No warning but that one.
  bool same() const { return warnings().empty(); }
  YAML::Node listener(std::size_t i) const { return yaml["listeners"][i]; }
  YAML::Node tls(std::size_t i = 0) const { return listener(i)["accept"]["tls"]; }
  YAML::Node defaults() const { return yaml["global"]["tls_defaults"]; }
};

// Converts `text` and loads the result as tlsgate would: a conversion
// whose YAML tlsgate refuses fails the test.
Converted convert(const std::string& text) {
  Converted out;
  out.result = importHitch(parseHitchConf(text, "hitch.conf"));
  out.yaml = YAML::Load(out.result.yaml);
  try {
    out.config = ConfigLoader::loadString(out.result.yaml, "converted.yaml", "/");
  } catch (const ConfigError& e) {
    ADD_FAILURE() << "tlsgate refuses the conversion: " << e.what() << "\n" << out.result.yaml;
  }
  return out;
}

std::string importError(const std::string& text) {
  try {
    importHitch(parseHitchConf(text, "hitch.conf"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kMinimal = "pem-file = \"/etc/hitch/site.pem\"\n";

TEST(HitchImportTest, DebianExampleConvertsWithItsDefaults) {
  const Converted c = convert(
      "# Run 'man hitch.conf' for a description of all options.\n"
      "\n"
      "\n"
      "frontend = {\n"
      "    host = \"*\"\n"
      "    port = \"443\"\n"
      "}\n"
      "backend = \"[127.0.0.1]:6086\"    # 6086 is the default Varnish PROXY port.\n"
      "workers = 4                     # number of CPU cores\n"
      "\n"
      "daemon = on\n"
      "\n"
      "user = \"hitch\"\n"
      "group = \"hitch\"\n"
      "write-proxy-v2 = on             # Write PROXY header\n"
      "pem-file = \"/etc/hitch/site.pem\"\n");
  const std::string& yaml = c.result.yaml;
  EXPECT_EQ(yaml.rfind("# tlsgate configuration converted from hitch.conf by tlsgate import "
                       "hitch\n",
                       0),
            0U)
      << yaml;
  EXPECT_EQ(c.yaml["global"]["workers"].as<int>(), 4);
  EXPECT_TRUE(
      contains(yaml, "workers: 4  # hitch: worker processes; tlsgate: threads; hitch.conf:9"));
  EXPECT_EQ(c.yaml["global"]["user"].as<std::string>(), "hitch");
  EXPECT_EQ(c.yaml["global"]["group"].as<std::string>(), "hitch");
  // "*" is IPv4 and IPv6, which tlsgate listens on separately.
  ASSERT_EQ(c.yaml["listeners"].size(), 2U);
  EXPECT_EQ(c.listener(0)["name"].as<std::string>(), "frontend-1-ipv4");
  EXPECT_EQ(c.listener(0)["accept"]["address"].as<std::string>(), "0.0.0.0:443");
  EXPECT_EQ(c.listener(1)["accept"]["address"].as<std::string>(), "[::]:443");
  EXPECT_EQ(c.listener(1)["name"].as<std::string>(), "frontend-1-ipv6");
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(c.listener(i)["connect"]["address"].as<std::string>(), "127.0.0.1:6086");
    EXPECT_EQ(c.listener(i)["connect"]["proxy_protocol"].as<std::string>(), "v2");
    EXPECT_EQ(c.tls(i)["certificates"][0]["cert"].as<std::string>(), "/etc/hitch/site.pem");
  }
  EXPECT_EQ(c.config.listeners.size(), 2U);
  // hitch's defaults where tlsgate's differ, but for the cipher list,
  // whose CBC suites tlsgate leaves out by default.
  EXPECT_FALSE(c.defaults()["cipher"]);
  EXPECT_TRUE(contains(yaml,
                       "# cipher: tlsgate's default (ECDHE+AESGCM:ECDHE+CHACHA20) where "
                       "hitch's (EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH) also "
                       "admits CBC suites"));
  EXPECT_EQ(c.yaml["global"]["timeouts"]["handshake"].as<std::string>(), "30s");
  EXPECT_EQ(c.yaml["global"]["timeouts"]["connect"].as<std::string>(), "30s");
  EXPECT_EQ(c.yaml["global"]["log"]["level"].as<std::string>(), "error");
  // daemon = on needs nothing; the cipher default is the one difference.
  EXPECT_EQ(c.warnings(), "");
  ASSERT_EQ(c.result.warnings.size(), 1U);
  EXPECT_EQ(c.result.warnings[0].str(),
            "hitch.conf:4: warning: no ciphers line: hitch's default TLS 1.2 cipher list, "
            "EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH, also admits CBC suites (LUCKY13); "
            "tlsgate's default admits only ECDHE+AESGCM:ECDHE+CHACHA20. To keep hitch's list, set "
            "cipher: \"EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH\" in tls_defaults");
  EXPECT_TRUE(
      contains(yaml, "# daemon = on (hitch.conf:11): tlsgate always runs in the foreground"));
}

TEST(HitchImportTest, CiphersDefaultStaysTlsgatesWithOneWarning) {
  const Converted tls13 = convert(
      "frontend = \"[127.0.0.1]:8443\"\nbackend = \"[127.0.0.1]:8080\"\n"
      "pem-file = \"/etc/hitch/site.pem\"\ntls-protos = TLSv1.3\n");
  EXPECT_TRUE(tls13.result.equivalent());  // no TLS 1.2, nothing to say
  const Converted own = convert(
      "frontend = \"[127.0.0.1]:8443\"\nbackend = \"[127.0.0.1]:8080\"\n"
      "pem-file = \"/etc/hitch/site.pem\"\nciphers = \"ECDHE+AESGCM\"\n");
  EXPECT_TRUE(own.result.equivalent());
  EXPECT_EQ(own.defaults()["cipher"].as<std::string>(), "ECDHE+AESGCM");
}

TEST(HitchImportTest, EveryEmittedKeyNamesItsLine) {
  const Converted c = convert(
      "frontend = \"[127.0.0.1]:8443\"\n"
      "pem-file = \"/a.pem\"\n"
      "ciphers = \"HIGH\"\n"
      "alpn-protos = \"h2, http/1.1\"\n");
  EXPECT_TRUE(contains(c.result.yaml, "address: 127.0.0.1:8443  # hitch.conf:1")) << c.result.yaml;
  EXPECT_TRUE(contains(c.result.yaml, "cipher: HIGH  # hitch.conf:3"));
  EXPECT_TRUE(contains(
      c.result.yaml,
      "alpn:  # tlsgate speaks ALPN only; hitch also offers these over NPN; hitch.conf:4"));
  EXPECT_TRUE(contains(c.result.yaml, "# the default, hitch's last pem-file; hitch.conf:2"));
}

TEST(HitchImportTest, NoFrontendMeansHitchsDefaultOne) {
  const Converted c = convert(kMinimal);
  ASSERT_EQ(c.yaml["listeners"].size(), 2U);
  EXPECT_EQ(c.listener(0)["accept"]["address"].as<std::string>(), "0.0.0.0:8443");
  EXPECT_EQ(c.listener(1)["accept"]["address"].as<std::string>(), "[::]:8443");
  EXPECT_EQ(c.listener(0)["connect"]["address"].as<std::string>(), "127.0.0.1:8000");
  EXPECT_TRUE(contains(c.result.yaml, "hitch's default frontend [*]:8443"));
  EXPECT_TRUE(c.same()) << c.warnings();
}

TEST(HitchImportTest, FrontendAddresses) {
  const Converted c = convert(
      "frontend = \"[::1]:443\"\n"
      "frontend = { host = \"10.0.0.1\" port = \"https\" }\n"
      "frontend = { port = \"444\" }\n"
      "pem-file = \"/a.pem\"\n");
  EXPECT_EQ(c.listener(0)["accept"]["address"].as<std::string>(), "[::1]:443");
  EXPECT_EQ(c.listener(0)["name"].as<std::string>(), "frontend-1");
  EXPECT_EQ(c.listener(1)["accept"]["address"].as<std::string>(), "10.0.0.1:443");
  EXPECT_EQ(c.listener(2)["accept"]["address"].as<std::string>(), "0.0.0.0:444");
  EXPECT_EQ(c.listener(3)["accept"]["address"].as<std::string>(), "[::]:444");
}

TEST(HitchImportTest, AFrontendHostNameBindsOneAddressInTlsgate) {
  const Converted c = convert("frontend = \"[localhost]:443\"\npem-file = \"/a.pem\"\n");
  EXPECT_EQ(c.listener(0)["accept"]["address"].as<std::string>(), "localhost:443");
  EXPECT_TRUE(contains(c.warnings(),
                       "hitch.conf:1: warning: host = \"localhost\": tlsgate "
                       "listens on the first address localhost resolves to"));
}

TEST(HitchImportTest, BackendForms) {
  EXPECT_EQ(convert(std::string(kMinimal) + "backend = \"/run/varnish.sock\"\n")
                .listener(0)["connect"]["address"]
                .as<std::string>(),
            "unix:/run/varnish.sock");
  EXPECT_EQ(convert(std::string(kMinimal) + "backend = \"[::1]:80\"\n")
                .listener(0)["connect"]["address"]
                .as<std::string>(),
            "[::1]:80");
  EXPECT_EQ(convert(std::string(kMinimal) + "backend = \"[varnish.internal]:6086\"\n")
                .listener(0)["connect"]["address"]
                .as<std::string>(),
            "varnish.internal:6086");
  EXPECT_EQ(importError(std::string(kMinimal) + "backend = \"127.0.0.1:80\"\n"),
            "hitch.conf:2: backend \"127.0.0.1:80\": the host must be in brackets; hitch wants "
            "\"[HOST]:PORT\" or a unix socket path");
  EXPECT_EQ(importError(std::string(kMinimal) + "backend = \"[*]:80\"\n"),
            "hitch.conf:2: backend \"[*]:80\": the host is missing; hitch wants \"[HOST]:PORT\" "
            "or a unix socket path");
  EXPECT_EQ(importError(std::string(kMinimal) + "backend = \"[h]:99999\"\n"),
            "hitch.conf:2: backend port 99999 is out of range");
  EXPECT_EQ(importError(std::string(kMinimal) + "backend = \"[a b]:80\"\n"),
            "hitch.conf:2: backend host 'a b' is neither an IP address nor a host name; hitch "
            "cannot listen or connect there");
  EXPECT_EQ(importError("frontend = \"[*]:4 x]:443\"\n" + std::string(kMinimal)),
            "hitch.conf:1: frontend host '*]:4 x' is neither an IP address nor a host name; "
            "hitch cannot listen or connect there");
  EXPECT_EQ(importError("frontend = \"[*]:0\"\n" + std::string(kMinimal)),
            "hitch.conf:1: frontend port 0: hitch lets the system pick a port, tlsgate needs a "
            "fixed one");
}

TEST(HitchImportTest, TheLastPemFileIsTheDefaultAndGoesFirst) {
  const Converted c = convert(
      "pem-file = \"/a.pem\"\n"
      "pem-file = \"/b.pem\"\n"
      "pem-file = { cert = \"/c.pem\" private-key = \"/c.key\" }\n");
  const YAML::Node certs = c.tls()["certificates"];
  ASSERT_EQ(certs.size(), 3U);
  // hitch: /c.pem is the default, and a name both /a.pem and /b.pem claim
  // is served by /b.pem, the one loaded last; tlsgate takes the first.
  EXPECT_EQ(certs[0]["cert"].as<std::string>(), "/c.pem");
  EXPECT_EQ(certs[0]["key"].as<std::string>(), "/c.key");
  EXPECT_EQ(certs[1]["cert"].as<std::string>(), "/b.pem");
  EXPECT_EQ(certs[2]["cert"].as<std::string>(), "/a.pem");
  EXPECT_TRUE(c.same()) << c.warnings();
}

TEST(HitchImportTest, PemDirIsListedInNameOrderWithItsGlob) {
  const TempDir dir;
  dir.write("b.pem", "pem\n");
  dir.write("a.pem", "pem\n");
  dir.write("c.txt", "pem\n");
  mkdir((dir.path() + "/d.pem").c_str(), 0700);                               // not a file
  symlink((dir.path() + "/a.pem").c_str(), (dir.path() + "/e.pem").c_str());  // hitch skips links
  const Converted c = convert("pem-dir = \"" + dir.path() + "\"\npem-dir-glob = \"*.pem\"\n");
  const YAML::Node certs = c.tls()["certificates"];
  ASSERT_EQ(certs.size(), 2U) << c.result.yaml;
  // Without a pem-file, hitch's default is the directory's first file.
  EXPECT_EQ(certs[0]["cert"].as<std::string>(), dir.path() + "/a.pem");
  EXPECT_EQ(certs[1]["cert"].as<std::string>(), dir.path() + "/b.pem");
  EXPECT_TRUE(contains(c.warnings(), "hitch.conf:1: warning: pem-dir = \"" + dir.path() +
                                         "\": its 2 files are listed one by one"));

  // With a pem-file, that is the default, and the directory's files follow.
  const Converted with_file =
      convert("pem-dir = \"" + dir.path() + "/\"\npem-file = \"/site.pem\"\n");
  const YAML::Node all = with_file.tls()["certificates"];
  ASSERT_EQ(all.size(), 4U);
  EXPECT_EQ(all[0]["cert"].as<std::string>(), "/site.pem");
  EXPECT_EQ(all[1]["cert"].as<std::string>(), dir.path() + "/c.txt");
  EXPECT_EQ(all[3]["cert"].as<std::string>(), dir.path() + "/a.pem");
}

TEST(HitchImportTest, AnUnreadablePemDirIsLeftOut) {
  const Converted c = convert(std::string(kMinimal) + "pem-dir = \"/nonexistent/hitch-certs\"\n");
  EXPECT_EQ(c.tls()["certificates"].size(), 1U);
  EXPECT_TRUE(contains(c.warnings(),
                       "hitch.conf:2: warning: pem-dir = \"/nonexistent/hitch-certs\" left out: "
                       "cannot read the directory to list its certificates: "));
  EXPECT_TRUE(contains(c.result.yaml, "# left out: pem-dir = \"/nonexistent/hitch-certs\""));
  EXPECT_EQ(importError("pem-dir = \"/nonexistent/hitch-certs\"\n"),
            "hitch.conf:1: no certificate for frontend [*]:8443: hitch refuses to start without "
            "one (add pem-file)");
}

TEST(HitchImportTest, FrontendCertificatesAndMatchGlobalCerts) {
  const Converted c = convert(
      "pem-file = \"/global.pem\"\n"
      "frontend = {\n"
      "  port = \"443\" host = \"127.0.0.1\"\n"
      "  pem-file = \"/own1.pem\"\n"
      "  pem-file = \"/own2.pem\"\n"
      "}\n"
      "frontend = { port = \"444\" host = \"127.0.0.1\" pem-file = \"/own3.pem\"\n"
      "             match-global-certs = on }\n"
      "frontend = \"[127.0.0.1]:445\"\n");
  const auto files = [&](std::size_t i) {
    std::vector<std::string> out;
    for (const YAML::Node& cert : c.tls(i)["certificates"]) {
      out.push_back(cert["cert"].as<std::string>());
    }
    return out;
  };
  EXPECT_EQ(files(0), (std::vector<std::string>{"/own2.pem", "/own1.pem"}));
  EXPECT_EQ(files(1), (std::vector<std::string>{"/own3.pem", "/global.pem"}));
  EXPECT_EQ(files(2), (std::vector<std::string>{"/global.pem"}));
  EXPECT_TRUE(contains(c.warnings(),
                       "hitch.conf:8: warning: match-global-certs = on: tlsgate "
                       "looks for an exact name"));
  EXPECT_EQ(
      importError("frontend = { port = \"1\" match-global-certs = off }\n" + std::string(kMinimal)),
      "hitch.conf:1: no certificate for frontend [*]:1: hitch refuses to start without "
      "one (add pem-file, or match-global-certs = on)");
}

TEST(HitchImportTest, FrontendTlsSettingsOverrideTheGlobalOnesForItsOwnCertificates) {
  const Converted c = convert(
      "pem-file = \"/global.pem\"\n"
      "ciphers = \"HIGH\"\n"
      "tls-protos = TLSv1.2 TLSv1.3\n"
      "frontend = { port = \"443\" pem-file = \"/own.pem\"\n"
      "  tls-protos = TLSv1.3 ciphers = \"ECDHE+AESGCM\" ciphersuites = "
      "\"TLS_AES_128_GCM_SHA256\"\n"
      "  sni-nomatch-abort = on }\n"
      "frontend = { port = \"444\" tls-protos = TLSv1.3 ciphers = \"X\" sni-nomatch-abort = on "
      "}\n");
  EXPECT_EQ(c.defaults()["cipher"].as<std::string>(), "HIGH");
  EXPECT_EQ(c.defaults()["protocols"][1].as<std::string>(), "tls1.3");
  const YAML::Node own = c.tls(0);
  EXPECT_EQ(own["protocols"].size(), 1U);
  EXPECT_EQ(own["protocols"][0].as<std::string>(), "tls1.3");
  EXPECT_EQ(own["cipher"].as<std::string>(), "ECDHE+AESGCM");
  EXPECT_EQ(own["ciphersuites"].as<std::string>(), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(own["sni"]["unknown"].as<std::string>(), "reject");
  // The frontend without a pem-file of its own: hitch serves the global
  // certificates with the global settings, and only sni-nomatch-abort holds.
  const YAML::Node borrowed = c.tls(2);
  EXPECT_FALSE(borrowed["protocols"]);
  EXPECT_FALSE(borrowed["cipher"]);
  EXPECT_EQ(borrowed["sni"]["unknown"].as<std::string>(), "reject");
  EXPECT_TRUE(contains(c.warnings(),
                       "hitch.conf:7: warning: tls-protos = TLSv1.3 left out: hitch applies a "
                       "frontend's TLS settings to the frontend's own pem-files only"));
  EXPECT_TRUE(contains(c.warnings(), "hitch.conf:7: warning: ciphers = \"X\" left out"));
  EXPECT_EQ(c.config.listeners[2].accept.tls->sni.reject_unknown, true);
}

TEST(HitchImportTest, ProtocolsAndTheirLegacyOptions) {
  const Converted legacy = convert(std::string(kMinimal) + "tls-protos = TLSv1.1 TLSv1.2\n");
  EXPECT_EQ(legacy.defaults()["protocols"][0].as<std::string>(), "tls1.1");
  EXPECT_EQ(legacy.defaults()["security_level"].as<int>(), 0);
  EXPECT_TRUE(contains(legacy.warnings(), "tlsgate needs security_level 0 for TLS 1.0 and 1.1"));

  const Converted tls_on = convert(std::string(kMinimal) + "tls = on\n");
  EXPECT_EQ(tls_on.defaults()["protocols"].size(), 4U);
  EXPECT_EQ(tls_on.defaults()["protocols"][0].as<std::string>(), "tls1");

  const Converted ssl_on = convert(std::string(kMinimal) + "ssl = on\n");
  EXPECT_TRUE(contains(ssl_on.warnings(),
                       "hitch.conf:2: warning: SSLv3 of ssl = on left out: tlsgate never speaks "
                       "SSL 3.0"));

  const Converted holes = convert(std::string(kMinimal) + "tls-protos = TLSv1.2 SSLv3\n");
  EXPECT_EQ(holes.defaults()["protocols"].size(), 1U);
  EXPECT_FALSE(holes.defaults()["security_level"]);

  const Converted gap = convert(std::string(kMinimal) + "tls-protos = TLSv1.0 TLSv1.3\n");
  EXPECT_TRUE(contains(gap.warnings(), "tlsgate takes one unbroken range of versions"));

  const Converted off = convert(std::string(kMinimal) + "tls = off\n");
  EXPECT_FALSE(off.defaults()["protocols"]);
  EXPECT_TRUE(contains(off.result.yaml, "# tls = off (hitch.conf:2): has no effect"));
  EXPECT_TRUE(off.same());
}

TEST(HitchImportTest, CipherOptions) {
  const Converted c = convert(std::string(kMinimal) +
                              "ciphers = \"ECDHE+AESGCM\"\nciphers = \"HIGH\"\n"
                              "ciphersuites = \"TLS_CHACHA20_POLY1305_SHA256\"\n"
                              "prefer-server-ciphers = on\necdh-curve = \"X25519:prime256v1\"\n");
  EXPECT_EQ(c.defaults()["cipher"].as<std::string>(), "HIGH");
  EXPECT_TRUE(contains(c.result.yaml,
                       "ciphers = \"ECDHE+AESGCM\" (hitch.conf:2): replaced by "
                       "the one at line 3, as in hitch"));
  EXPECT_EQ(c.defaults()["ciphersuites"].as<std::string>(), "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(c.defaults()["groups"].as<std::string>(), "X25519:prime256v1");
  EXPECT_TRUE(c.same()) << c.warnings();

  const Converted defaults = convert(kMinimal);
  EXPECT_EQ(defaults.defaults()["ciphersuites"].as<std::string>(),
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256");
  EXPECT_FALSE(defaults.defaults()["groups"]);

  const Converted client_order = convert(std::string(kMinimal) + "prefer-server-ciphers = off\n");
  EXPECT_TRUE(contains(client_order.warnings(),
                       "hitch.conf:2: warning: prefer-server-ciphers = off: tlsgate always "
                       "picks the cipher by its own order"));
  EXPECT_TRUE(convert(std::string(kMinimal) + "ecdh-curve = \"auto\"\n").same());
}

TEST(HitchImportTest, Alpn) {
  const Converted c = convert(std::string(kMinimal) + "alpn-protos = \"h2, http/1.1,\"\n");
  ASSERT_EQ(c.defaults()["alpn"].size(), 2U);
  EXPECT_EQ(c.defaults()["alpn"][0].as<std::string>(), "h2");
  EXPECT_EQ(c.defaults()["alpn"][1].as<std::string>(), "http/1.1");
  EXPECT_EQ(c.warnings(),
            "hitch.conf:2: warning: alpn-protos = \"h2, http/1.1,\": a client that offers ALPN "
            "but none of these protocols: hitch closes the connection after the handshake, "
            "tlsgate goes on without ALPN\n");
  EXPECT_EQ(importError(std::string(kMinimal) + "alpn-protos = \"h2,,http/1.1\"\n"),
            "hitch.conf:2: alpn-protos \"h2,,http/1.1\" has an empty protocol in the list; "
            "hitch refuses it");
}

TEST(HitchImportTest, SniNomatchAbort) {
  const Converted c = convert(std::string(kMinimal) + "sni-nomatch-abort = on\n");
  EXPECT_EQ(c.defaults()["sni"]["unknown"].as<std::string>(), "reject");
  EXPECT_TRUE(c.config.listeners[0].accept.tls->sni.reject_unknown);
  const Converted off = convert(std::string(kMinimal) + "sni-nomatch-abort = off\n");
  EXPECT_FALSE(off.config.listeners[0].accept.tls->sni.reject_unknown);
}

TEST(HitchImportTest, ClientVerify) {
  const Converted c = convert(std::string(kMinimal) +
                              "client-verify = required\nclient-verify-ca = \"/ca.pem\"\n"
                              "frontend = { port = \"1\" pem-file = \"/own.pem\" "
                              "client-verify = optional }\n"
                              "frontend = { port = \"2\" pem-file = \"/own.pem\" "
                              "client-verify = none }\n");
  EXPECT_EQ(c.defaults()["client_certs"]["mode"].as<std::string>(), "require");
  EXPECT_EQ(c.defaults()["client_certs"]["cafile"].as<std::string>(), "/ca.pem");
  EXPECT_EQ(c.defaults()["client_certs"]["verify_depth"].as<int>(), 100);
  EXPECT_EQ(c.tls(0)["client_certs"]["mode"].as<std::string>(), "request");
  EXPECT_EQ(c.tls(0)["client_certs"]["cafile"].as<std::string>(), "/ca.pem");
  EXPECT_EQ(c.config.listeners[2].accept.tls->client_certs.mode, ClientCertMode::none);
  EXPECT_EQ(c.config.listeners[0].accept.tls->client_certs.mode, ClientCertMode::request);
  EXPECT_EQ(importError(std::string(kMinimal) + "client-verify = required\n"),
            "hitch.conf:2: client-verify = required needs client-verify-ca; hitch refuses the "
            "file without it");
}

TEST(HitchImportTest, OcspResponseFiles) {
  const Converted c = convert(
      "pem-file = { cert = \"/a.pem\" ocsp-resp-file = \"/a.ocsp\" }\n"
      "pem-file = { cert = \"/b.pem\" ocsp-resp-file = \"/b.ocsp\" }\n");
  EXPECT_EQ(c.tls()["ocsp_staple"].as<std::string>(), "/b.ocsp");
  EXPECT_TRUE(contains(c.warnings(),
                       "hitch.conf:1: warning: ocsp-resp-file = \"/a.ocsp\" left "
                       "out: tlsgate staples a response for the first certificate "
                       "only"));
  const Converted dir = convert(std::string(kMinimal) + "ocsp-dir = \"/var/lib/hitch-ocsp\"\n");
  EXPECT_TRUE(contains(dir.warnings(),
                       "ocsp-dir = \"/var/lib/hitch-ocsp\" left out: tlsgate "
                       "fetches no OCSP responses"));
  EXPECT_TRUE(convert(std::string(kMinimal) + "ocsp-dir = \"\"\n").same());
}

TEST(HitchImportTest, ProxyProtocolOptions) {
  const Converted v1 = convert(std::string(kMinimal) + "write-proxy-v1 = on\n");
  EXPECT_EQ(v1.listener(0)["connect"]["proxy_protocol"].as<std::string>(), "v1");
  EXPECT_TRUE(v1.same()) << v1.warnings();

  const Converted old_name = convert(std::string(kMinimal) + "write-proxy = on\n");
  EXPECT_EQ(old_name.listener(0)["connect"]["proxy_protocol"].as<std::string>(), "v2");

  const Converted proxy = convert(std::string(kMinimal) + "proxy-proxy = on\n");
  EXPECT_EQ(proxy.listener(0)["accept"]["proxy_protocol"].as<bool>(), true);
  EXPECT_EQ(proxy.listener(0)["connect"]["proxy_protocol"].as<std::string>(), "v2");
  EXPECT_TRUE(contains(proxy.warnings(),
                       "hitch.conf:2: warning: proxy-proxy = on: tlsgate "
                       "cannot pass the incoming PROXY header on as it is"));

  const Converted write_ip = convert(std::string(kMinimal) + "write-ip = on\n");
  EXPECT_FALSE(write_ip.listener(0)["connect"]["proxy_protocol"]);
  EXPECT_TRUE(contains(write_ip.warnings(), "write-ip = on left out"));

  const Converted client_cert =
      convert(std::string(kMinimal) +
              "write-proxy-v2 = on\nproxy-client-cert = on\nproxy-tlv = off\n"
              "client-verify = optional\nclient-verify-ca = \"/ca.pem\"\n");
  EXPECT_EQ(client_cert.listener(0)["connect"]["proxy_protocol"]["client_cert"].as<bool>(), true);
  EXPECT_TRUE(contains(client_cert.warnings(),
                       "proxy-client-cert = on: tlsgate sends the "
                       "certificate DER-encoded"));
  EXPECT_TRUE(contains(client_cert.warnings(), "proxy-tlv = off: tlsgate's PROXY v2 header"));

  // Without client certificates there is none to send, in hitch as here.
  const Converted no_cert =
      convert(std::string(kMinimal) + "write-proxy-v2 = on\nproxy-client-cert = on\n");
  EXPECT_EQ(no_cert.listener(0)["connect"]["proxy_protocol"].as<std::string>(), "v2");
  EXPECT_TRUE(no_cert.same()) << no_cert.warnings();

  EXPECT_EQ(importError(std::string(kMinimal) + "write-proxy-v1 = on\nwrite-proxy-v2 = on\n"),
            "hitch.conf:3: write-ip, proxy-proxy, write-proxy-v1 and write-proxy-v2 exclude one "
            "another; hitch refuses the file");
}

TEST(HitchImportTest, LoggingOptions) {
  const auto level = [](const std::string& option) {
    return convert(std::string(kMinimal) + option).yaml["global"]["log"]["level"].as<std::string>();
  };
  EXPECT_EQ(level("log-level = 0\n"), "off");
  EXPECT_EQ(level("log-level = 1\n"), "error");
  EXPECT_EQ(level("log-level = 2\n"), "info");
  EXPECT_EQ(level("quiet = on\n"), "off");
  EXPECT_EQ(level("log-level = 2\nquiet = off\n"), "error");

  const Converted file = convert(std::string(kMinimal) + "log-filename = \"/var/log/hitch.log\"\n");
  EXPECT_EQ(file.yaml["global"]["log"]["file"].as<std::string>(), "/var/log/hitch.log");
  EXPECT_TRUE(file.same());

  const Converted syslog =
      convert(std::string(kMinimal) + "syslog = on\nsyslog-facility = \"local0\"\n");
  EXPECT_EQ(syslog.yaml["global"]["log"]["file"].as<std::string>(), "syslog");
  EXPECT_TRUE(contains(syslog.warnings(), "syslog = on: tlsgate logs to syslog only"));
  EXPECT_TRUE(contains(syslog.warnings(), "syslog-facility = \"local0\" left out"));
  EXPECT_FALSE(contains(
      convert(std::string(kMinimal) + "syslog = on\nsyslog-facility = \"daemon\"\n").warnings(),
      "facility"));
}

TEST(HitchImportTest, WorkersUsersAndTimeouts) {
  const Converted c = convert(std::string(kMinimal) +
                              "workers = auto\nuser = \"nobody\"\ngroup = \"nogroup\"\n"
                              "ssl-handshake-timeout = 7\nbackend-connect-timeout = 3\n");
  EXPECT_EQ(c.yaml["global"]["workers"].as<std::string>(), "auto");
  EXPECT_EQ(c.config.global.user, "nobody");
  EXPECT_EQ(c.config.global.group, "nogroup");
  EXPECT_EQ(c.config.global.timeouts.handshake, std::chrono::seconds(7));
  EXPECT_EQ(c.config.global.timeouts.connect, std::chrono::seconds(3));
  EXPECT_EQ(c.config.global.timeouts.idle, std::chrono::hours(8760));
  EXPECT_TRUE(c.same()) << c.warnings();

  const Converted defaults = convert(kMinimal);
  EXPECT_EQ(defaults.config.global.workers, 1);
  EXPECT_EQ(defaults.config.global.timeouts.handshake, std::chrono::seconds(30));
  EXPECT_EQ(defaults.config.global.timeouts.connect, std::chrono::seconds(30));
  EXPECT_TRUE(contains(convert(std::string(kMinimal) + "ssl-handshake-timeout = 0\n").warnings(),
                       "ssl-handshake-timeout = 0 left out"));
}

TEST(HitchImportTest, OptionsWithoutAnEquivalentAreLeftOutWithANote) {
  const Converted c = convert(std::string(kMinimal) +
                              "chroot = \"/var/empty\"\nbacklog = 10\nkeepalive = 60\n"
                              "ssl-engine = \"rdrand\"\ntcp-fastopen = on\nsession-cache = 100\n"
                              "recv-bufsize = 1\nsend-bufsize = 1\nocsp-verify-staple = on\n"
                              "ocsp-resp-tmo = 1\nocsp-connect-tmo = 1\n"
                              "ocsp-refresh-interval = 1\n");
  for (const std::string option :
       {"chroot = \"/var/empty\"", "backlog = 10", "keepalive = 60", "ssl-engine = \"rdrand\"",
        "tcp-fastopen = on", "session-cache = 100", "recv-bufsize = 1", "send-bufsize = 1",
        "ocsp-verify-staple = on", "ocsp-resp-tmo = 1", "ocsp-connect-tmo = 1",
        "ocsp-refresh-interval = 1"}) {
    EXPECT_TRUE(contains(c.warnings(), ": warning: " + option + " left out: ")) << option;
    EXPECT_TRUE(contains(c.result.yaml, "# left out: " + option + " (hitch.conf:")) << option;
  }
  EXPECT_EQ(c.result.warnings.size(), 13U) << c.warnings();  // and the cipher default
}

TEST(HitchImportTest, OptionsThatChangeNothingStayAsNotes) {
  const Converted c = convert(std::string(kMinimal) +
                              "daemon = off\ntcp-fastopen = off\nbackend-refresh = 30\n"
                              "user = \"\"\n"
                              "frontend = { port = \"443\" match-global-certs = on }\n");
  EXPECT_TRUE(c.same()) << c.warnings();
  EXPECT_TRUE(contains(c.result.yaml,
                       "# daemon = off (hitch.conf:2): tlsgate runs in the "
                       "foreground too"));
  EXPECT_TRUE(contains(c.result.yaml, "# backend-refresh = 30 (hitch.conf:4)"));
  EXPECT_TRUE(contains(c.result.yaml,
                       "# user = \"\" (hitch.conf:5): an empty string has no "
                       "effect in hitch"));
}

TEST(HitchImportTest, DhParametersInThePemFile) {
  const TempDir dir;
  const std::string with_dh =
      dir.write("dh.pem", "-----BEGIN DH PARAMETERS-----\nAA==\n-----END DH PARAMETERS-----\n");
  const std::string without = dir.write("plain.pem", "pem\n");
  const Converted c = convert("pem-file = \"" + with_dh + "\"\n");
  EXPECT_EQ(c.tls()["dhparams"].as<std::string>(), with_dh);
  EXPECT_TRUE(c.same());
  const Converted mixed =
      convert("pem-file = \"" + with_dh + "\"\npem-file = \"" + without + "\"\n");
  EXPECT_FALSE(mixed.tls()["dhparams"]);
  EXPECT_TRUE(contains(mixed.warnings(), "the pem-files differ in holding DH parameters"));
}

TEST(HitchImportTest, RelativePathsAndDollarSigns) {
  const Converted c = convert("pem-file = \"certs/site$1.pem\"\nuser = \"a${HOME}\"\n");
  EXPECT_EQ(c.config.global.user, "a${HOME}");
  EXPECT_EQ(c.tls()["certificates"][0]["cert"].as<std::string>(), "certs/site$$1.pem");
  EXPECT_TRUE(contains(c.warnings(),
                       "tlsgate reads a relative path from the directory of its "
                       "configuration file"));
}

TEST(HitchImportTest, StrayCharactersAreNoted) {
  const Converted c = convert(std::string(kMinimal) + "workers = 2;\n");
  EXPECT_TRUE(contains(c.result.yaml,
                       "# ';' (hitch.conf:2): hitch skips characters outside a "
                       "value"));
}

TEST(HitchImportTest, AnAddressTwiceIsListenedOnOnce) {
  const Converted c =
      convert(std::string(kMinimal) + "frontend = \"[*]:443\"\nfrontend = \"[0.0.0.0]:443\"\n");
  EXPECT_EQ(c.config.listeners.size(), 2U);
  EXPECT_TRUE(contains(c.warnings(), "frontend on 0.0.0.0:443 left out"));
}

}  // namespace
}  // namespace tlsgate
