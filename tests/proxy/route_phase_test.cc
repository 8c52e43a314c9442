#include "proxy/route_phase.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/phase_harness.h"

namespace tlsgate::test {
namespace {

// A connect side told apart by its one backend's text.
std::unique_ptr<const BackendSet> backendSet(const std::string& text) {
  auto set = std::make_unique<BackendSet>();
  BackendTarget target;
  target.text = text;
  set->targets.push_back(std::move(target));
  return set;
}

RouteConfig route(std::vector<std::string> sni, std::vector<std::string> alpn) {
  RouteConfig out;
  out.match.sni = std::move(sni);
  out.match.alpn = std::move(alpn);
  return out;
}

class RoutePhaseTest : public ::testing::Test {
 protected:
  // Route 1 and route 2 both match "www.test" with h2: the order decides.
  void SetUp() override {
    Listener& listener = harness.setUpListener();
    listener.config.routes = {route({"api.test"}, {}), route({}, {"h2"}), route({"*.test"}, {})};
    listener.routes.push_back(backendSet("api"));
    listener.routes.push_back(backendSet("h2"));
    listener.routes.push_back(backendSet("wildcard"));
    listener.connect = backendSet("default");
  }

  // The text of the chosen connect side's backend; empty when none.
  std::string chosen() {
    const BackendSet* set = harness.facts().backends;
    return set == nullptr ? std::string() : set->targets.front().text;
  }

  std::string routeAfterTls(const std::string& sni, const std::string& alpn) {
    harness.facts().sni = sni;
    harness.facts().alpn = alpn;
    harness.start(std::make_unique<RoutePhase>(false));
    std::optional<PhaseStatus> outcome = harness.runPhase();
    if (!outcome || outcome->kind != PhaseStatus::Kind::go_on) {
      ADD_FAILURE() << "the phase did not go on: " << (outcome ? outcome->reason : "timed out");
      return {};
    }
    return chosen();
  }

  PhaseHarness harness;
};

TEST_F(RoutePhaseTest, SniPicksItsRoute) {
  EXPECT_EQ(routeAfterTls("api.test", ""), "api");
  EXPECT_EQ(harness.facts().backends, harness.listener().routes[0].get());
  EXPECT_TRUE(harness.finish());
}

TEST_F(RoutePhaseTest, AlpnPicksItsRoute) {
  EXPECT_EQ(routeAfterTls("", "h2"), "h2");
  EXPECT_TRUE(harness.finish());
}

TEST_F(RoutePhaseTest, FirstMatchWins) {
  EXPECT_EQ(routeAfterTls("www.test", "h2"), "h2");
  EXPECT_TRUE(harness.finish());
}

TEST_F(RoutePhaseTest, LaterRouteMatchesWhenEarlierOnesDoNot) {
  EXPECT_EQ(routeAfterTls("www.test", "http/1.1"), "wildcard");
  EXPECT_TRUE(harness.finish());
}

TEST_F(RoutePhaseTest, NoMatchTakesTheListenersConnect) {
  EXPECT_EQ(routeAfterTls("other.example", "http/1.1"), "default");
  EXPECT_EQ(harness.facts().backends, harness.listener().connect.get());
  EXPECT_TRUE(harness.finish());
}

TEST_F(RoutePhaseTest, NoRoutesTakesTheListenersConnect) {
  harness.setUpListener().config.routes.clear();
  harness.setUpListener().routes.clear();
  EXPECT_EQ(routeAfterTls("api.test", "h2"), "default");
  EXPECT_TRUE(harness.finish());
}

// A listener that does not terminate TLS reads the SNI and ALPN from the
// ClientHello, which must reach the backend untouched.
class RoutePrereadTest : public RoutePhaseTest {
 protected:
  void SetUp() override {
    RoutePhaseTest::SetUp();
    client = harness.adoptLoopback(harness.client());
    ASSERT_GE(client.get(), 0);
  }

  Fd client;
};

TEST_F(RoutePrereadTest, ClientHelloSniPicksTheRouteAndStaysUnread) {
  const std::string hello = openSslClientHello({.sni = "api.test", .alpn = {"http/1.1"}});
  ASSERT_TRUE(writeAll(client.get(), hello));

  harness.start(std::make_unique<RoutePhase>(true));
  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_EQ(chosen(), "api");
  EXPECT_EQ(harness.facts().sni, "api.test");
  EXPECT_EQ(peekAll(harness.client().rx), hello);
  EXPECT_TRUE(harness.finish());
}

// The whole offer counts, not only the first protocol; and a ClientHello
// cut in two waits for its second half.
TEST_F(RoutePrereadTest, ClientHelloAlpnOfferPicksTheRouteOnceItIsWhole) {
  const std::string hello = openSslClientHello({.sni = "www.test", .alpn = {"http/1.1", "h2"}});
  ASSERT_TRUE(writeAll(client.get(), hello.substr(0, 20)));

  harness.start(std::make_unique<RoutePhase>(true));
  ASSERT_TRUE(harness.runUntil([&] { return harness.client().rx.size() == 20; }));
  EXPECT_FALSE(harness.outcome().has_value()) << "the phase ended on half a ClientHello";
  ASSERT_TRUE(writeAll(client.get(), hello.substr(20)));
  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_EQ(chosen(), "h2");
  EXPECT_EQ(peekAll(harness.client().rx), hello);
  EXPECT_TRUE(harness.finish());
}

TEST_F(RoutePrereadTest, PlaintextCannotBeRouted) {
  ASSERT_TRUE(writeAll(client.get(), "GET / HTTP/1.1\r\nHost: api.test\r\n\r\n"));

  harness.start(std::make_unique<RoutePhase>(true));
  std::optional<PhaseStatus> outcome = harness.runPhase();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::fail);
  EXPECT_EQ(outcome->reason.rfind("cannot route: ", 0), 0U) << outcome->reason;
  EXPECT_GT(outcome->reason.size(), std::string("cannot route: ").size());
  EXPECT_EQ(harness.facts().backends, nullptr);
  EXPECT_TRUE(harness.finish());
}

}  // namespace
}  // namespace tlsgate::test
