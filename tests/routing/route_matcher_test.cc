#include "routing/route_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tlsgate {
namespace {

RouteConfig route(std::vector<std::string> sni, std::vector<std::string> alpn = {}) {
  RouteConfig config;
  config.match.sni = std::move(sni);
  config.match.alpn = std::move(alpn);
  return config;
}

using Offer = std::vector<std::string>;

TEST(SniMatchesTest, MatchesAnExactNameInAnyCase) {
  EXPECT_TRUE(sniMatches("api.example.com", "api.example.com"));
  EXPECT_TRUE(sniMatches("api.example.com", "API.Example.COM"));
  EXPECT_TRUE(sniMatches("API.example.com", "api.EXAMPLE.com"));
  EXPECT_FALSE(sniMatches("api.example.com", "api.example.org"));
  EXPECT_FALSE(sniMatches("api.example.com", "xapi.example.com"));
  EXPECT_FALSE(sniMatches("api.example.com", "api.example.com.evil.net"));
  EXPECT_FALSE(sniMatches("api.example.com", "b.api.example.com"));
}

TEST(SniMatchesTest, MatchesOneLabelForAWildcard) {
  EXPECT_TRUE(sniMatches("*.example.com", "a.example.com"));
  EXPECT_TRUE(sniMatches("*.example.com", "WWW.Example.Com"));
  EXPECT_FALSE(sniMatches("*.example.com", "example.com"));
  EXPECT_FALSE(sniMatches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(sniMatches("*.example.com", ".example.com"));
  EXPECT_FALSE(sniMatches("*.example.com", "aexample.com"));
  EXPECT_FALSE(sniMatches("*.example.com", "a.example.com.au"));
  EXPECT_FALSE(sniMatches("*.example.com", "a.example.org"));
}

TEST(SniMatchesTest, MatchesAnyNameForAStar) {
  EXPECT_TRUE(sniMatches("*", "example.com"));
  EXPECT_TRUE(sniMatches("*", "a.b.c.example.com"));
  EXPECT_TRUE(sniMatches("*", "localhost"));
  EXPECT_FALSE(sniMatches("*", ""));
}

TEST(SniMatchesTest, MatchesNothingWithoutAName) {
  for (const char* pattern : {"*", "*.example.com", "example.com", ""}) {
    EXPECT_FALSE(sniMatches(pattern, "")) << pattern;
  }
  EXPECT_FALSE(sniMatches("", "example.com"));
}

TEST(SniMatchesTest, TreatsOtherStarsAsOrdinaryCharacters) {
  EXPECT_FALSE(sniMatches("a*.example.com", "ab.example.com"));
  EXPECT_FALSE(sniMatches("*.*.example.com", "a.b.example.com"));
  EXPECT_FALSE(sniMatches("api.*.com", "api.example.com"));
  EXPECT_FALSE(sniMatches("*.", "a."));
  EXPECT_FALSE(sniMatches("*example.com", "aexample.com"));
}

TEST(MatchRouteTest, TakesTheFirstRouteThatMatches) {
  const std::vector<RouteConfig> routes = {route({"api.example.com"}), route({"*.example.com"}),
                                           route({"*"})};
  EXPECT_EQ(matchRoute(routes, "api.example.com", {}), 0U);
  EXPECT_EQ(matchRoute(routes, "www.example.com", {}), 1U);
  EXPECT_EQ(matchRoute(routes, "example.org", {}), 2U);
  EXPECT_EQ(matchRoute(routes, "", {}), std::nullopt);
}

TEST(MatchRouteTest, AcceptsAnyOfTheSniEntries) {
  const std::vector<RouteConfig> routes = {route({"a.example.com", "b.example.com"})};
  EXPECT_EQ(matchRoute(routes, "b.example.com", {}), 0U);
  EXPECT_EQ(matchRoute(routes, "c.example.com", {}), std::nullopt);
}

TEST(MatchRouteTest, MatchesAlpnAgainstTheNegotiatedProtocol) {
  const std::vector<RouteConfig> routes = {route({}, {"h2"}), route({}, {"http/1.1"})};
  EXPECT_EQ(matchRoute(routes, "example.com", Offer{"h2"}), 0U);
  EXPECT_EQ(matchRoute(routes, "example.com", Offer{"http/1.1"}), 1U);
  EXPECT_EQ(matchRoute(routes, "example.com", Offer{"acme-tls/1"}), std::nullopt);
  // A client that negotiated nothing is matched by no alpn key.
  EXPECT_EQ(matchRoute(routes, "example.com", {}), std::nullopt);
}

TEST(MatchRouteTest, MatchesAlpnAgainstAWholeOffer) {
  const std::vector<RouteConfig> routes = {route({}, {"acme-tls/1"}), route({}, {"h2", "h3"})};
  EXPECT_EQ(matchRoute(routes, "", Offer{"http/1.1", "h2"}), 1U);
  EXPECT_EQ(matchRoute(routes, "", Offer{"h2", "acme-tls/1"}), 0U);
}

TEST(MatchRouteTest, ComparesProtocolNamesExactly) {
  const std::vector<RouteConfig> routes = {route({}, {"h2"})};
  EXPECT_EQ(matchRoute(routes, "", Offer{"H2"}), std::nullopt);
  EXPECT_EQ(matchRoute(routes, "", Offer{"h2c"}), std::nullopt);
}

TEST(MatchRouteTest, NeedsEveryKeyGiven) {
  const std::vector<RouteConfig> routes = {route({"*.example.com"}, {"h2"}),
                                           route({"*.example.com"})};
  EXPECT_EQ(matchRoute(routes, "a.example.com", Offer{"h2"}), 0U);
  EXPECT_EQ(matchRoute(routes, "a.example.com", Offer{"http/1.1"}), 1U);
  EXPECT_EQ(matchRoute(routes, "a.example.org", Offer{"h2"}), std::nullopt);
}

TEST(MatchRouteTest, TakesEveryConnectionOnARouteWithoutKeys) {
  const std::vector<RouteConfig> routes = {route({"a.example.com"}), route({})};
  EXPECT_EQ(matchRoute(routes, "", {}), 1U);
  EXPECT_EQ(matchRoute(routes, "b.example.com", Offer{"h2"}), 1U);
}

TEST(MatchRouteTest, FindsNothingWithoutRoutes) {
  EXPECT_EQ(matchRoute({}, "example.com", Offer{"h2"}), std::nullopt);
}

}  // namespace
}  // namespace tlsgate
