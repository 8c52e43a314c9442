#include "migrate/hitch_conf.h"

#include <gtest/gtest.h>

#include <string>

#include "util/config_error.h"

namespace tlsgate {
namespace {

std::string errorOf(std::string_view text) {
  try {
    parseHitchConf(text, "hitch.conf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(HitchConfTest, GlobalOptionsWithTheirLinesAndValues) {
  const HitchConf conf = parseHitchConf(
      "# sample\n"
      "backend = \"[127.0.0.1]:6086\"    # the Varnish PROXY port\n"
      "workers = 4\n"
      "\n"
      "daemon = on\n"
      "user = hitch\n"
      "write-proxy-v2 = YES\n"
      "prefer-server-ciphers = \"off\"\n"
      "tls-protos = TLSv1.2 TLSv1.3\n"
      "client-verify = optional\n"
      "ciphers = \"EECDH+AESGCM:EDH+AESGCM\"\n",
      "hitch.conf");
  EXPECT_EQ(conf.file, "hitch.conf");
  ASSERT_EQ(conf.global.size(), 9U);
  EXPECT_EQ(conf.global[0].name, "backend");
  EXPECT_EQ(conf.global[0].value, "[127.0.0.1]:6086");
  EXPECT_TRUE(conf.global[0].quoted);
  EXPECT_EQ(conf.global[0].where.str(), "hitch.conf:2");
  EXPECT_EQ(conf.last("workers")->value, "4");
  EXPECT_FALSE(conf.last("workers")->quoted);
  EXPECT_EQ(conf.last("daemon")->value, "on");
  EXPECT_EQ(conf.last("user")->value, "hitch");  // a bare word is a string
  EXPECT_EQ(conf.last("write-proxy-v2")->value, "on");
  EXPECT_EQ(conf.last("prefer-server-ciphers")->value, "off");  // booleans even in quotes
  EXPECT_EQ(conf.last("tls-protos")->value, "TLSv1.2 TLSv1.3");
  EXPECT_EQ(conf.last("tls-protos")->where.line, 9);
  EXPECT_EQ(conf.last("client-verify")->value, "optional");
  EXPECT_EQ(conf.last("ciphers")->value, "EECDH+AESGCM:EDH+AESGCM");
  EXPECT_EQ(conf.last("syslog"), nullptr);
  EXPECT_TRUE(conf.frontends.empty());
}

TEST(HitchConfTest, RecordsNeedNoLineOfTheirOwn) {
  // hitch's lexer treats newlines as any other white space.
  const HitchConf conf = parseHitchConf("workers = 2 daemon = off user\n=\n\"nobody\"", "h.conf");
  ASSERT_EQ(conf.global.size(), 3U);
  EXPECT_EQ(conf.global[2].name, "user");
  EXPECT_EQ(conf.global[2].value, "nobody");
  EXPECT_EQ(conf.global[2].where.line, 1);
}

TEST(HitchConfTest, FrontendBlocksAndStringsBecomeFrontends) {
  const HitchConf conf = parseHitchConf(
      "frontend = {\n"
      "    host = \"*\"\n"
      "    port = \"443\"\n"
      "    pem-file = \"/etc/hitch/a.pem\"\n"
      "    pem-file = {\n"
      "        cert = \"/etc/hitch/b.pem\"\n"
      "        private-key = \"/etc/hitch/b.key\"\n"
      "        ocsp-resp-file = \"/etc/hitch/b.ocsp\"\n"
      "    }\n"
      "    sni-nomatch-abort = on\n"
      "    match-global-certs = off\n"
      "}\n"
      "frontend = \"[::1]:8443+/etc/hitch/c.pem\"\n"
      "frontend = \"[*]:80\"\n",
      "hitch.conf");
  ASSERT_EQ(conf.frontends.size(), 3U);
  const HitchFrontend& block = conf.frontends[0];
  EXPECT_EQ(block.where.line, 1);
  EXPECT_TRUE(block.spec.empty());
  EXPECT_EQ(block.last("host")->value, "*");
  EXPECT_EQ(block.last("port")->value, "443");
  ASSERT_EQ(block.all("pem-file").size(), 2U);
  const HitchOption& pem = *block.all("pem-file")[1];
  EXPECT_TRUE(pem.block);
  EXPECT_EQ(pem.where.line, 5);
  EXPECT_EQ(pem.last("cert")->value, "/etc/hitch/b.pem");
  EXPECT_EQ(pem.last("private-key")->value, "/etc/hitch/b.key");
  EXPECT_EQ(pem.last("ocsp-resp-file")->where.line, 8);
  EXPECT_EQ(block.last("sni-nomatch-abort")->value, "on");
  EXPECT_EQ(block.last("match-global-certs")->value, "off");

  const HitchFrontend& one_string = conf.frontends[1];
  EXPECT_EQ(one_string.spec, "[::1]:8443+/etc/hitch/c.pem");
  EXPECT_EQ(one_string.last("host")->value, "::1");
  EXPECT_EQ(one_string.last("port")->value, "8443");
  EXPECT_EQ(one_string.last("pem-file")->value, "/etc/hitch/c.pem");
  EXPECT_EQ(one_string.last("pem-file")->where.line, 13);
  EXPECT_EQ(conf.frontends[2].last("host"), nullptr);  // "*": every address
  EXPECT_EQ(conf.frontends[2].last("port")->value, "80");
}

TEST(HitchConfTest, QuotedStringsKeepWhatHitchKeeps) {
  const HitchConf conf = parseHitchConf(
      "user = \"\"\n"
      "group = \"a#b\"  # a comment\n"
      "chroot = \"x\\\"y\"\n"
      "pem-dir-glob = \"*.pem\"\n",
      "hitch.conf");
  EXPECT_EQ(conf.last("user")->value, "");  // no value to hitch
  EXPECT_TRUE(conf.last("user")->quoted);
  EXPECT_EQ(conf.last("group")->value, "a#b");
  EXPECT_EQ(conf.last("chroot")->value, "x\\");  // hitch cuts at the first quote inside
  EXPECT_EQ(conf.last("pem-dir-glob")->value, "*.pem");
}

TEST(HitchConfTest, StrayCharactersAreSkippedAndRecorded) {
  const HitchConf conf = parseHitchConf("workers = 4;\n", "hitch.conf");
  EXPECT_EQ(conf.last("workers")->value, "4");
  ASSERT_EQ(conf.stray.size(), 1U);
  EXPECT_EQ(conf.stray[0].character, ';');
  EXPECT_EQ(conf.stray[0].where.line, 1);
}

TEST(HitchConfTest, LaterVersionsOptionsParse) {
  const HitchConf conf = parseHitchConf(
      "workers = auto\n"
      "backend-connect-timeout = 5\n"
      "ssl-handshake-timeout = 7\n"
      "pem-file = { cert = \"a.pem\" client-verify = required client-verify-ca = \"ca.pem\" }\n",
      "hitch.conf");
  EXPECT_EQ(conf.last("workers")->value, "auto");
  EXPECT_EQ(conf.last("backend-connect-timeout")->value, "5");
  EXPECT_EQ(conf.last("pem-file")->last("client-verify")->value, "required");
}

TEST(HitchConfTest, WhatHitchRefusesNamesItsLine) {
  EXPECT_EQ(errorOf(""),
            "hitch.conf:1: the file holds no options; hitch refuses an empty "
            "configuration");
  EXPECT_EQ(errorOf("workers = 4\nworkerz = 4\n"), "hitch.conf:2: unknown option 'workerz'");
  EXPECT_EQ(errorOf("workers 4\n"), "hitch.conf:1: expected '=' after workers, found the number 4");
  EXPECT_EQ(errorOf("workers = \"4\"\n"),
            "hitch.conf:1: workers takes a number or auto, found the string \"4\" (hitch wants "
            "the number without quotes here)");
  EXPECT_EQ(errorOf("frontend = { port = 443 }\n"),
            "hitch.conf:1: port takes a string, found the number 443 (hitch reads an unquoted "
            "number as a number here; write \"443\")");
  EXPECT_EQ(errorOf("daemon = maybe\n"), "hitch.conf:1: daemon takes on or off, found 'maybe'");
  EXPECT_EQ(errorOf("user = none\n"),
            "hitch.conf:1: user takes a string, found the word 'none' ('none' is a word of "
            "hitch's own; quoting it does not help)");
  EXPECT_EQ(errorOf("tls-protos = \"TLSv1.2\"\n"),
            "hitch.conf:1: tls-protos takes one or more of SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 "
            "and TLSv1.3, unquoted, found the string \"TLSv1.2\"");
  EXPECT_EQ(errorOf("client-verify = yes\n"),
            "hitch.conf:1: client-verify takes none, optional or required, found the boolean on");
  EXPECT_EQ(errorOf("host = \"x\"\n"),
            "hitch.conf:1: host cannot be set in the top level; hitch accepts it only in a "
            "frontend block");
  EXPECT_EQ(errorOf("frontend = {\n port = \"1\"\n user = \"x\"\n}\n"),
            "hitch.conf:3: user cannot be set in a frontend block; hitch accepts it only in the "
            "top level");
  EXPECT_EQ(errorOf("pem-file = { private-key = \"k\" }\n"),
            "hitch.conf:1: a pem-file block needs cert = \"FILE\"");
  EXPECT_EQ(errorOf("frontend = {\n port = \"1\"\n"),
            "hitch.conf:1: the frontend block opened here is not closed with '}'");
  EXPECT_EQ(errorOf("frontend = { }\n"),
            "hitch.conf:1: the frontend block is empty; hitch wants at least one option in it");
  EXPECT_EQ(errorOf("user = \"hitch\n"), "hitch.conf:1: a quoted string is not closed");
  EXPECT_EQ(errorOf("pidfile = \"/run/hitch.pid\"\n"),
            "hitch.conf:1: pidfile is an option of hitch's command line (--pidfile), not of "
            "hitch.conf; hitch refuses it here");
  EXPECT_EQ(errorOf("tls-protos = TLSv1.2\ntls = on\n"),
            "hitch.conf:2: tls cannot follow ssl, tls or tls-protos in the top level; hitch "
            "refuses the file. Keep one of them");
  EXPECT_EQ(errorOf("frontend = \"*:443\"\n"),
            "hitch.conf:1: frontend \"*:443\": the host must be in brackets; hitch wants "
            "\"[HOST]:PORT\" or \"[HOST]:PORT+CERT\"");
  EXPECT_EQ(errorOf("frontend = \"[*]443\"\n"),
            "hitch.conf:1: frontend \"[*]443\": a ':' and a port must follow the ']'; hitch "
            "wants \"[HOST]:PORT\" or \"[HOST]:PORT+CERT\"");
  EXPECT_EQ(errorOf(std::string_view("user = \"a\0b\"\n", 13)),
            "hitch.conf:1: the line holds a NUL byte");
  EXPECT_EQ(errorOf("workers = 1\nuser = \"caf\xE9\"\n"),
            "hitch.conf:2: the line is not valid UTF-8");
}

TEST(HitchConfTest, TlsOffDoesNotChooseProtocols) {
  // hitch lets tls = off (which does nothing) be followed by tls-protos.
  const HitchConf conf = parseHitchConf("tls = off\ntls-protos = TLSv1.3\n", "hitch.conf");
  EXPECT_EQ(conf.last("tls-protos")->value, "TLSv1.3");
}

}  // namespace
}  // namespace tlsgate
