// A listener's routes: match by SNI and ALPN, each route's own connect side,
// and routes that could never be reached.
#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "load_error.h"

namespace tlsgate {
namespace {

using std::chrono::seconds;
using testing::errorIs;
using testing::load;
using testing::loadError;

constexpr const char* kTlsAccept = "      tls: { certificates: [{ cert: site.pem }] }\n";

// A listener with `routes` (YAML lines indented by six spaces, starting on
// line 9). `accept_tls` is line 5; without it, line 5 is a comment so the
// line numbers stay the same.
std::string withRoutes(const std::string& routes, const std::string& accept_tls = kTlsAccept) {
  return "listeners:\n  - name: web\n    accept:\n      address: 127.0.0.1:8443\n" +
         (accept_tls.empty() ? std::string("      # plaintext\n") : accept_tls) +
         "    connect:\n      address: 127.0.0.1:8080\n    routes:\n" + routes;
}

std::vector<RouteConfig> routes(const std::string& yaml) {
  return load(yaml).listeners[0].routes;
}

TEST(RoutesConfigTest, NoRoutesByDefault) {
  EXPECT_TRUE(load(testing::kMinimalListeners).listeners[0].routes.empty());
  EXPECT_TRUE(routes(withRoutes("      []\n")).empty());
}

TEST(RoutesConfigTest, MatchFormsAndOrder) {
  const std::vector<RouteConfig> r =
      routes(withRoutes("      - match: { sni: API.Example.com, alpn: h2 }\n"
                        "        connect: { address: 127.0.0.1:9000 }\n"
                        "      - match:\n"
                        "          sni: [\"*.Apps.example.com\", www.example.com.]\n"
                        "          alpn: [http/1.1, acme-tls/1]\n"
                        "        connect:\n"
                        "          address: [10.0.0.1:443, 10.0.0.2:443]\n"
                        "          balance: failover\n"
                        "          tls: { servername: apps.internal }\n"
                        "      - match: { sni: \"*\" }\n"
                        "        connect: { address: unix:/run/fallback.sock }\n"
                        "      - match: { alpn: [imap] }\n"
                        "        connect: { address: 127.0.0.1:143 }\n"));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].mark.str(), "test.yaml:9:9");
  EXPECT_EQ(r[0].match.sni, std::vector<std::string>{"api.example.com"});
  EXPECT_EQ(r[0].match.alpn, std::vector<std::string>{"h2"});
  EXPECT_EQ(r[0].connect.address().port, 9000);
  EXPECT_EQ(r[0].connect.mark.str(), "test.yaml:10:18");
  EXPECT_EQ(r[1].mark.str(), "test.yaml:11:9");
  EXPECT_EQ(r[1].match.sni, (std::vector<std::string>{"*.apps.example.com", "www.example.com"}));
  EXPECT_EQ(r[1].match.alpn, (std::vector<std::string>{"http/1.1", "acme-tls/1"}));
  ASSERT_EQ(r[1].connect.addresses.size(), 2u);
  EXPECT_EQ(r[1].connect.balance, Balance::failover);
  ASSERT_TRUE(r[1].connect.tls.has_value());
  EXPECT_EQ(r[1].connect.tls->servername, "apps.internal");
  EXPECT_EQ(r[2].match.sni, std::vector<std::string>{"*"});
  EXPECT_TRUE(r[2].match.alpn.empty());
  EXPECT_TRUE(r[2].connect.address().isUnix());
  EXPECT_TRUE(r[3].match.sni.empty());
  EXPECT_EQ(r[3].match.alpn, std::vector<std::string>{"imap"});
}

TEST(RoutesConfigTest, RouteConnectDoesNotInheritTheListenersConnect) {
  const Config config = load(R"(global:
  tls_defaults: { cafile: internal-ca.pem, servername: default.internal }
listeners:
  - name: web
    accept:
      address: 127.0.0.1:8443
      tls: { certificates: [{ cert: site.pem }] }
    connect:
      address: [10.0.0.1:443, 10.0.0.2:443]
      balance: failover
      fail_timeout: 1m
      proxy_protocol: v2
      tls: { servername: listener.internal }
    routes:
      - match: { sni: plain.example.com }
        connect: { address: 127.0.0.1:9000 }
      - match: { sni: tls.example.com }
        connect: { address: 127.0.0.1:9443, tls: {} }
)");
  const std::vector<RouteConfig>& r = config.listeners[0].routes;
  ASSERT_EQ(r.size(), 2u);
  const ConnectConfig& plain = r[0].connect;
  EXPECT_EQ(plain.addresses.size(), 1u);
  EXPECT_EQ(plain.balance, Balance::round_robin);
  EXPECT_EQ(plain.fail_timeout, seconds(10));
  EXPECT_EQ(plain.proxy_protocol.version, ProxyProtocolVersion::none);
  EXPECT_FALSE(plain.tls.has_value());
  // tls_defaults reach a route's tls block like any other; the listener's
  // connect.tls does not.
  const ConnectConfig& tls = r[1].connect;
  ASSERT_TRUE(tls.tls.has_value());
  EXPECT_EQ(tls.tls->servername, "default.internal");
  EXPECT_EQ(tls.tls->cafile.value, "/etc/tlsgate/internal-ca.pem");
}

TEST(RoutesConfigTest, PlaintextAcceptSideRoutesByClientHello) {
  const std::vector<RouteConfig> r =
      routes(withRoutes("      - match: { sni: a.example.com }\n"
                        "        connect: { address: 127.0.0.1:9001 }\n"
                        "      - match: { alpn: h2 }\n"
                        "        connect: { address: 127.0.0.1:9002 }\n",
                        ""));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].match.alpn, std::vector<std::string>{"h2"});
}

// ---------------------------------------------------------------- errors

TEST(RoutesConfigTest, PassthroughListenerTakesNoConnectTls) {
  const std::string on_route =
      loadError(withRoutes("      - match: { sni: a.example.com }\n"
                           "        connect: { address: 127.0.0.1:9001, tls: { verify: false } }\n",
                           ""));
  EXPECT_EQ(on_route.rfind("test.yaml:10:50: listeners[0].routes[0].connect.tls: this listener "
                           "routes the client's own TLS through",
                           0),
            0U)
      << on_route;
  // With accept.tls the listener terminates, and re-encrypting is allowed.
  EXPECT_EQ(
      routes(withRoutes("      - match: { sni: a.example.com }\n"
                        "        connect: { address: 127.0.0.1:9001, tls: { verify: false } }\n"))
          .size(),
      1U);
}

TEST(RoutesConfigTest, ShapeErrors) {
  EXPECT_EQ(loadError(withRoutes("      match: { sni: a.example }\n")),
            "test.yaml:9:7: listeners[0].routes: expected a list");
  EXPECT_EQ(loadError(withRoutes("      - a.example\n")),
            "test.yaml:9:9: listeners[0].routes[0]: expected a map (key: value pairs)");
  EXPECT_EQ(loadError(withRoutes("      - connect: { address: 127.0.0.1:9000 }\n")),
            "test.yaml:9:9: listeners[0].routes[0]: missing required key 'match'");
  EXPECT_EQ(loadError(withRoutes("      - match: { sni: a.example }\n")),
            "test.yaml:9:9: listeners[0].routes[0]: missing required key 'connect'");
  EXPECT_EQ(loadError(withRoutes("      - match: { sni: a.example }\n"
                                 "        conect: { address: 127.0.0.1:9000 }\n")),
            "test.yaml:10:9: listeners[0].routes[0].conect: unknown key; did you mean 'connect'?");
  EXPECT_EQ(loadError(withRoutes("      - match: a.example\n"
                                 "        connect: { address: 127.0.0.1:9000 }\n")),
            "test.yaml:9:16: listeners[0].routes[0].match: expected a map (key: value pairs)");
  EXPECT_EQ(loadError(withRoutes("      - match: { sni: a.example }\n"
                                 "        connect: 127.0.0.1:9000\n")),
            "test.yaml:10:18: listeners[0].routes[0].connect: expected a map (key: value pairs)");
}

std::string matchError(const std::string& match) {
  return loadError(withRoutes("      - match: " + match +
                              "\n"
                              "        connect: { address: 127.0.0.1:9000 }\n"));
}

TEST(RoutesConfigTest, MatchNeedsSniOrAlpn) {
  EXPECT_EQ(matchError("{}"),
            "test.yaml:9:16: listeners[0].routes[0].match: needs sni, alpn or both; for "
            "connections that no route matches, the listener's own connect is used");
  EXPECT_EQ(matchError("{ snis: a.example }"),
            "test.yaml:9:18: listeners[0].routes[0].match.snis: unknown key; did you mean 'sni'?");
  EXPECT_EQ(matchError("{ sni: [] }"),
            "test.yaml:9:23: listeners[0].routes[0].match.sni: needs at least one entry");
  EXPECT_EQ(matchError("{ alpn: [] }"),
            "test.yaml:9:24: listeners[0].routes[0].match.alpn: needs at least one entry");
}

TEST(RoutesConfigTest, SniEntryErrors) {
  EXPECT_EQ(matchError("{ sni: \"a*.example.com\" }"),
            "test.yaml:9:23: listeners[0].routes[0].match.sni: 'a*.example.com': a wildcard "
            "must be the whole first label (*.example.com), or * alone for any server name");
  EXPECT_TRUE(errorIs(matchError("{ sni: [a.example, \"*.*.example.com\"] }"),
                      "test.yaml:9:35: listeners[0].routes[0].match.sni[1]: ",
                      "a wildcard must be the whole first label"));
  EXPECT_TRUE(errorIs(matchError("{ sni: \"www.*.com\" }"),
                      "test.yaml:9:23: listeners[0].routes[0].match.sni: ",
                      "a wildcard must be the whole first label"));
  EXPECT_EQ(matchError("{ sni: \"api example.com\" }"),
            "test.yaml:9:23: listeners[0].routes[0].match.sni: 'api example.com' is not a host "
            "name such as api.example.com");
  EXPECT_TRUE(errorIs(matchError("{ sni: \"*.\" }"),
                      "test.yaml:9:23: listeners[0].routes[0].match.sni: ", "is not a host name"));
  EXPECT_TRUE(errorIs(matchError("{ sni: a..example }"),
                      "test.yaml:9:23: listeners[0].routes[0].match.sni: ", "is not a host name"));
  EXPECT_EQ(matchError("{ sni: 10.0.0.1 }"),
            "test.yaml:9:23: listeners[0].routes[0].match.sni: '10.0.0.1' is an IP address; "
            "clients never send one as SNI (RFC 6066), so this could never match");
  EXPECT_EQ(matchError("{ sni: \"\" }"),
            "test.yaml:9:23: listeners[0].routes[0].match.sni: must not be empty");
  EXPECT_EQ(matchError("{ sni: [API.example.com, api.example.com] }"),
            "test.yaml:9:41: listeners[0].routes[0].match.sni[1]: 'api.example.com' is listed "
            "twice");
}

TEST(RoutesConfigTest, AlpnEntryErrors) {
  EXPECT_EQ(matchError("{ alpn: \"\" }"),
            "test.yaml:9:24: listeners[0].routes[0].match.alpn: must not be empty");
  EXPECT_EQ(matchError("{ alpn: " + std::string(256, 'x') + " }"),
            "test.yaml:9:24: listeners[0].routes[0].match.alpn: an ALPN protocol name is at most "
            "255 bytes");
  EXPECT_EQ(routes(withRoutes("      - match: { alpn: " + std::string(255, 'x') +
                              " }\n        connect: { address: 127.0.0.1:9000 }\n"))[0]
                .match.alpn[0]
                .size(),
            255u);
  EXPECT_EQ(matchError("{ alpn: [h2, h2] }"),
            "test.yaml:9:29: listeners[0].routes[0].match.alpn[1]: 'h2' is listed twice");
}

TEST(RoutesConfigTest, AnIdenticalEarlierMatchMakesARouteUnreachable) {
  EXPECT_EQ(loadError(withRoutes("      - match: { sni: [a.example, b.example], alpn: h2 }\n"
                                 "        connect: { address: 127.0.0.1:9001 }\n"
                                 "      - match: { sni: c.example }\n"
                                 "        connect: { address: 127.0.0.1:9002 }\n"
                                 "      - match: { alpn: [h2], sni: [B.example, a.example] }\n"
                                 "        connect: { address: 127.0.0.1:9003 }\n")),
            "test.yaml:13:16: listeners[0].routes[2].match: can never be reached: the route at "
            "line 9 has the same match and comes first; merge them or change one match");
}

TEST(RoutesConfigTest, OverlappingButDifferentMatchesAreFine) {
  const std::vector<RouteConfig> r =
      routes(withRoutes("      - match: { sni: a.example, alpn: h2 }\n"
                        "        connect: { address: 127.0.0.1:9001 }\n"
                        "      - match: { sni: a.example }\n"
                        "        connect: { address: 127.0.0.1:9002 }\n"
                        "      - match: { sni: [a.example, b.example] }\n"
                        "        connect: { address: 127.0.0.1:9003 }\n"
                        "      - match: { alpn: h2 }\n"
                        "        connect: { address: 127.0.0.1:9004 }\n"));
  EXPECT_EQ(r.size(), 4u);
}

// ---------------------------------------------------------------- each route's connect side

std::string routeConnectError(const std::string& connect,
                              const std::string& accept_tls = kTlsAccept) {
  return loadError(
      withRoutes("      - match: { sni: a.example }\n        connect:\n" + connect, accept_tls));
}

TEST(RoutesConfigTest, RouteConnectIsCheckedLikeAListenersConnect) {
  EXPECT_TRUE(errorIs(routeConnectError("          address: unix:/run/b.sock\n"
                                        "          tls: {}\n"),
                      "test.yaml:12:16: listeners[0].routes[0].connect.tls: ",
                      "a unix socket address has no host name to verify the backend against"));
  EXPECT_EQ(routeConnectError("          address: 127.0.0.1:25\n"
                              "          starttls: smtp\n"),
            "test.yaml:12:21: listeners[0].routes[0].connect.starttls: starttls needs a tls block "
            "on the same side: the upgrade is to TLS; add connect.tls");
  EXPECT_TRUE(errorIs(routeConnectError("          address: unix:/run/b.sock\n"
                                        "          via: { socks5: 127.0.0.1:1080 }\n"),
                      "test.yaml:11:20: listeners[0].routes[0].connect.address: ",
                      "cannot be reached through via"));
  EXPECT_TRUE(
      errorIs(routeConnectError("          address: 127.0.0.1:9000\n"
                                "          proxy_protocol: { version: v2, client_cert: "
                                "true }\n"),
              "test.yaml:12:55: listeners[0].routes[0].connect.proxy_protocol.client_cert: ",
              "accept.tls asks clients for none"));
  EXPECT_EQ(routeConnectError("          address: [127.0.0.1:9000, 127.0.0.1:9000]\n"),
            "test.yaml:11:37: listeners[0].routes[0].connect.address[1]: '127.0.0.1:9000' is "
            "listed twice (first at line 11); each backend may appear once");
  EXPECT_EQ(routeConnectError("          adress: 127.0.0.1:9000\n"),
            "test.yaml:11:11: listeners[0].routes[0].connect.adress: unknown key; did you mean "
            "'address'?");
  EXPECT_EQ(routeConnectError("          tls: {}\n"),
            "test.yaml:11:11: listeners[0].routes[0].connect: missing required key 'address'");
}

TEST(RoutesConfigTest, UnknownListenerKeySuggestsRoutes) {
  EXPECT_EQ(loadError("listeners:\n  - name: web\n    accept: { address: 127.0.0.1:1 }\n"
                      "    connect: { address: 127.0.0.1:2 }\n    route: []\n"),
            "test.yaml:5:5: listeners[0].route: unknown key; did you mean 'routes'?");
}

}  // namespace
}  // namespace tlsgate
