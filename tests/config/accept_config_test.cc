// The accept side of a listener: its address, proxy_protocol, starttls and
// unix_socket.
#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "load_error.h"

namespace tlsgate {
namespace {

using testing::errorIs;
using testing::load;
using testing::loadError;

// A listener whose accept side is `address` plus `extra` (YAML lines
// indented by six spaces, starting on line 5).
std::string withAccept(const std::string& extra, const std::string& address = "127.0.0.1:8443") {
  return "listeners:\n  - name: web\n    accept:\n      address: " + address + "\n" + extra +
         "    connect:\n      address: 127.0.0.1:8080\n";
}

constexpr const char* kTls = "      tls: { certificates: [{ cert: site.pem }] }\n";
constexpr const char* kUnixAddress = "unix:/run/tlsgate/web.sock";

AcceptConfig accept(const std::string& yaml) {
  return load(yaml).listeners[0].accept;
}

// ---------------------------------------------------------------- address

TEST(AcceptConfigTest, Ipv6Address) {
  Address a = accept(withAccept("", "\"[::1]:8443\"")).address;
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 8443);
  EXPECT_FALSE(a.isUnix());
  EXPECT_EQ(a.mark.str(), "test.yaml:4:16");
  a = accept(withAccept("", "\"[::]:443\"")).address;
  EXPECT_EQ(a.host, "::");
  EXPECT_EQ(a.port, 443);
}

TEST(AcceptConfigTest, Ipv6WithoutBracketsIsAnError) {
  EXPECT_TRUE(errorIs(loadError(withAccept("", "\"::1:8443\"")),
                      "test.yaml:4:16: listeners[0].accept.address: ",
                      "looks like an IPv6 address; write it in brackets, e.g. [::1]:8443"));
}

TEST(AcceptConfigTest, UnixAddress) {
  const Address a = accept(withAccept("", kUnixAddress)).address;
  EXPECT_TRUE(a.isUnix());
  EXPECT_EQ(a.unix_path, "/run/tlsgate/web.sock");
  EXPECT_EQ(a.host, "");
}

TEST(AcceptConfigTest, OneAddressOnly) {
  EXPECT_EQ(loadError(withAccept("", "[127.0.0.1:1, 127.0.0.1:2]")),
            "test.yaml:4:16: listeners[0].accept.address: expected a string: a listener accepts "
            "on one address; add a listener for each further address");
}

// ---------------------------------------------------------------- defaults

TEST(AcceptConfigTest, Defaults) {
  const AcceptConfig a = accept(withAccept(kTls));
  EXPECT_FALSE(a.proxy_protocol);
  EXPECT_EQ(a.starttls.protocol, StarttlsProtocol::none);
  EXPECT_TRUE(a.starttls.require);
  EXPECT_EQ(a.starttls.hostname, "");
  EXPECT_FALSE(a.unix_socket.mode.has_value());
  EXPECT_EQ(a.unix_socket.owner, "");
  EXPECT_EQ(a.unix_socket.group, "");
}

// ---------------------------------------------------------------- proxy_protocol

TEST(AcceptConfigTest, ProxyProtocol) {
  EXPECT_TRUE(accept(withAccept("      proxy_protocol: true\n")).proxy_protocol);
  EXPECT_FALSE(accept(withAccept("      proxy_protocol: false\n")).proxy_protocol);
  EXPECT_EQ(loadError(withAccept("      proxy_protocol: yes\n")),
            "test.yaml:5:23: listeners[0].accept.proxy_protocol: expected true or false");
  EXPECT_EQ(loadError(withAccept("      proxy_protocol: v2\n")),
            "test.yaml:5:23: listeners[0].accept.proxy_protocol: expected true or false");
}

// ---------------------------------------------------------------- starttls

TEST(AcceptConfigTest, StarttlsShortForm) {
  const std::pair<const char*, StarttlsProtocol> cases[] = {{"smtp", StarttlsProtocol::smtp},
                                                            {"imap", StarttlsProtocol::imap},
                                                            {"pop3", StarttlsProtocol::pop3},
                                                            {"none", StarttlsProtocol::none}};
  for (const auto& [word, protocol] : cases) {
    const AcceptStarttls s =
        accept(withAccept(std::string(kTls) + "      starttls: " + word + "\n")).starttls;
    EXPECT_EQ(s.protocol, protocol) << word;
    EXPECT_TRUE(s.require) << word;
    EXPECT_EQ(s.hostname, "") << word;
  }
}

TEST(AcceptConfigTest, StarttlsMapForm) {
  const AcceptStarttls s =
      accept(withAccept(std::string(kTls) + "      starttls:\n"
                                            "        protocol: imap\n"
                                            "        require: false\n"
                                            "        hostname: mail.example.com\n"))
          .starttls;
  EXPECT_EQ(s.protocol, StarttlsProtocol::imap);
  EXPECT_FALSE(s.require);
  EXPECT_EQ(s.hostname, "mail.example.com");
  const AcceptStarttls only_protocol =
      accept(withAccept(std::string(kTls) + "      starttls: { protocol: smtp }\n")).starttls;
  EXPECT_EQ(only_protocol.protocol, StarttlsProtocol::smtp);
  EXPECT_TRUE(only_protocol.require);
}

TEST(AcceptConfigTest, StarttlsNoneNeedsNoTls) {
  EXPECT_EQ(accept(withAccept("      starttls: none\n")).starttls.protocol, StarttlsProtocol::none);
}

TEST(AcceptConfigTest, StarttlsNeedsTls) {
  EXPECT_EQ(loadError(withAccept("      starttls: smtp\n")),
            "test.yaml:5:17: listeners[0].accept.starttls: starttls needs a tls block on the same "
            "side: the upgrade is to TLS; add accept.tls with the certificates to offer");
  EXPECT_TRUE(errorIs(loadError(withAccept("      starttls: { protocol: pop3 }\n")),
                      "test.yaml:5:17: listeners[0].accept.starttls: ",
                      "starttls needs a tls block on the same side: the upgrade is to TLS"));
}

TEST(AcceptConfigTest, StarttlsFtpAndPostgresAreConnectSideOnly) {
  EXPECT_EQ(loadError(withAccept(std::string(kTls) + "      starttls: ftp\n")),
            "test.yaml:6:17: listeners[0].accept.starttls: ftp STARTTLS is connect-side only: "
            "tlsgate can upgrade its connection to a ftp backend (connect.starttls), but does not "
            "answer the preamble for clients; the accept side offers smtp, imap or pop3");
  EXPECT_TRUE(
      errorIs(loadError(withAccept(std::string(kTls) + "      starttls: { protocol: postgres }\n")),
              "test.yaml:6:29: listeners[0].accept.starttls.protocol: ",
              "postgres STARTTLS is connect-side only"));
}

TEST(AcceptConfigTest, StarttlsBadValues) {
  EXPECT_EQ(loadError(withAccept(std::string(kTls) + "      starttls: smtps\n")),
            "test.yaml:6:17: listeners[0].accept.starttls: expected none, smtp, imap or pop3, or "
            "a map { protocol: smtp, require: true, hostname: NAME }, not 'smtps'");
  EXPECT_TRUE(errorIs(loadError(withAccept(std::string(kTls) + "      starttls: [smtp]\n")),
                      "test.yaml:6:17: listeners[0].accept.starttls: ",
                      "expected none, smtp, imap or pop3, or a map"));
  EXPECT_EQ(loadError(withAccept(std::string(kTls) + "      starttls: { require: false }\n")),
            "test.yaml:6:17: listeners[0].accept.starttls: missing required key 'protocol'");
  EXPECT_EQ(loadError(withAccept(std::string(kTls) + "      starttls: { protocol: none }\n")),
            "test.yaml:6:29: listeners[0].accept.starttls.protocol: the map form needs the "
            "protocol to offer: smtp, imap or pop3; write starttls: none to turn STARTTLS off");
  EXPECT_EQ(loadError(withAccept(std::string(kTls) +
                                 "      starttls: { protocol: smtp, require: maybe }\n")),
            "test.yaml:6:44: listeners[0].accept.starttls.require: expected true or false");
  EXPECT_EQ(loadError(withAccept(std::string(kTls) +
                                 "      starttls: { protocol: smtp, hostnme: mx.example.com }\n")),
            "test.yaml:6:35: listeners[0].accept.starttls.hostnme: unknown key; did you mean "
            "'hostname'?");
  EXPECT_EQ(loadError(withAccept(std::string(kTls) +
                                 "      starttls: { protocol: smtp, hostname: \"mx example\" }\n")),
            "test.yaml:6:45: listeners[0].accept.starttls.hostname: 'mx example' is not a host "
            "name such as mx.example.com");
}

// ---------------------------------------------------------------- unix_socket

UnixSocketOptions unixSocket(const std::string& lines) {
  return accept(withAccept("      unix_socket:\n" + lines, kUnixAddress)).unix_socket;
}

TEST(AcceptConfigTest, UnixSocketOptions) {
  const UnixSocketOptions u = unixSocket(
      "        mode: 0660\n"
      "        owner: tlsgate\n"
      "        group: www-data\n");
  ASSERT_TRUE(u.mode.has_value());
  EXPECT_EQ(*u.mode, 0660u);
  EXPECT_EQ(u.owner, "tlsgate");
  EXPECT_EQ(u.group, "www-data");
  EXPECT_EQ(u.mark.str(), "test.yaml:6:9");
}

TEST(AcceptConfigTest, UnixSocketModeIsOctalHoweverItIsWritten) {
  // yaml-cpp keeps the text of a scalar, so 0660 is not read as decimal 660.
  EXPECT_EQ(*unixSocket("        mode: 0660\n").mode, 0660u);
  EXPECT_EQ(*unixSocket("        mode: \"0660\"\n").mode, 0660u);
  EXPECT_EQ(*unixSocket("        mode: 0o640\n").mode, 0640u);
  EXPECT_EQ(*unixSocket("        mode: 660\n").mode, 0660u);  // as chmod reads it
  EXPECT_EQ(*unixSocket("        mode: 0777\n").mode, 0777u);
  EXPECT_EQ(*unixSocket("        mode: 0200\n").mode, 0200u);
}

TEST(AcceptConfigTest, UnixSocketNumericIds) {
  const UnixSocketOptions u = unixSocket("        owner: 0\n        group: 1000\n");
  EXPECT_EQ(u.owner, "0");
  EXPECT_EQ(u.group, "1000");
  EXPECT_EQ(unixSocket("        owner: host$\n").owner, "host$");
  EXPECT_FALSE(unixSocket("        owner: tlsgate\n").mode.has_value());
}

TEST(AcceptConfigTest, UnixSocketEmptyMapKeepsDefaults) {
  const UnixSocketOptions u =
      accept(withAccept("      unix_socket: {}\n", kUnixAddress)).unix_socket;
  EXPECT_FALSE(u.mode.has_value());
  EXPECT_EQ(u.owner, "");
}

std::string unixSocketError(const std::string& lines) {
  return loadError(withAccept("      unix_socket:\n" + lines, kUnixAddress));
}

TEST(AcceptConfigTest, UnixSocketNeedsAUnixAddress) {
  EXPECT_EQ(loadError(withAccept("      unix_socket: { mode: 0660 }\n")),
            "test.yaml:5:20: listeners[0].accept.unix_socket: sets how a unix socket file is "
            "created, but accept.address is not a unix: address; write address: unix:/path or "
            "remove unix_socket");
}

TEST(AcceptConfigTest, UnixSocketBadModes) {
  EXPECT_EQ(unixSocketError("        mode: 0680\n"),
            "test.yaml:6:15: listeners[0].accept.unix_socket.mode: '0680' is not an octal mode; "
            "write permission bits such as 0660");
  EXPECT_TRUE(errorIs(unixSocketError("        mode: rw-rw----\n"),
                      "test.yaml:6:15: listeners[0].accept.unix_socket.mode: ",
                      "'rw-rw----' is not an octal mode"));
  EXPECT_TRUE(errorIs(
      unixSocketError("        mode: 0o\n"),
      "test.yaml:6:15: listeners[0].accept.unix_socket.mode: ", "'0o' is not an octal mode"));
  EXPECT_EQ(unixSocketError("        mode: 01777\n"),
            "test.yaml:6:15: listeners[0].accept.unix_socket.mode: '01777' is more than 0777; "
            "give only the permission bits, such as 0660");
  EXPECT_EQ(unixSocketError("        mode: 0444\n"),
            "test.yaml:6:15: listeners[0].accept.unix_socket.mode: '0444' lets no one connect: a "
            "client needs write permission on the socket; use e.g. 0660");
  EXPECT_EQ(unixSocketError("        mode:\n"),
            "test.yaml:6:9: listeners[0].accept.unix_socket.mode: expected a string");
}

TEST(AcceptConfigTest, UnixSocketBadAccounts) {
  EXPECT_EQ(unixSocketError("        owner: \"tls gate\"\n"),
            "test.yaml:6:16: listeners[0].accept.unix_socket.owner: 'tls gate' is not a user name "
            "or a numeric user id");
  EXPECT_EQ(unixSocketError("        group: -wheel\n"),
            "test.yaml:6:16: listeners[0].accept.unix_socket.group: '-wheel' is not a group name "
            "or a numeric group id");
  EXPECT_EQ(unixSocketError("        owner: 4294967295\n"),
            "test.yaml:6:16: listeners[0].accept.unix_socket.owner: '4294967295' is not a valid "
            "user id (0 to 4294967294)");
  EXPECT_EQ(unixSocketError("        group: \"\"\n"),
            "test.yaml:6:16: listeners[0].accept.unix_socket.group: must not be empty");
}

TEST(AcceptConfigTest, UnixSocketUnknownKeys) {
  EXPECT_EQ(unixSocketError("        modes: 0660\n"),
            "test.yaml:6:9: listeners[0].accept.unix_socket.modes: unknown key; did you mean "
            "'mode'?");
  EXPECT_EQ(unixSocketError("        permissions: 0660\n"),
            "test.yaml:6:9: listeners[0].accept.unix_socket.permissions: unknown key (expected one "
            "of: mode, owner, group)");
  EXPECT_EQ(loadError(withAccept("      unix_socket: 0660\n", kUnixAddress)),
            "test.yaml:5:20: listeners[0].accept.unix_socket: expected a map (key: value pairs)");
}

TEST(AcceptConfigTest, UnknownAcceptKeySuggests) {
  EXPECT_EQ(loadError(withAccept("      starttsl: smtp\n")),
            "test.yaml:5:7: listeners[0].accept.starttsl: unknown key; did you mean 'starttls'?");
  EXPECT_EQ(loadError(withAccept("      proxy_protocols: true\n")),
            "test.yaml:5:7: listeners[0].accept.proxy_protocols: unknown key; did you mean "
            "'proxy_protocol'?");
  EXPECT_EQ(loadError(withAccept("      via: { socks5: 127.0.0.1:1080 }\n")),
            "test.yaml:5:7: listeners[0].accept.via: unknown key (expected one of: address, tls, "
            "proxy_protocol, starttls, unix_socket)");
}

}  // namespace
}  // namespace tlsgate
