#include "admin/admin_json.h"

#include <gtest/gtest.h>

#include "admin/fixed_admin_source.h"

namespace tlsgate {
namespace {

TEST(ConnectionsJsonTest, OneObjectPerConnection) {
  const nlohmann::json json = connectionsJson(sampleConnections());
  ASSERT_TRUE(json["connections"].is_array());
  ASSERT_EQ(json["connections"].size(), 2U);
  EXPECT_EQ(json["workers_unanswered"], 0);

  const nlohmann::json& open = json["connections"][0];
  EXPECT_EQ(open["id"], 17);
  EXPECT_EQ(open["listener"], "web");
  EXPECT_EQ(open["worker"], 1);
  EXPECT_EQ(open["generation"], 2);
  EXPECT_EQ(open["client"], "127.0.0.1:53422");
  EXPECT_EQ(open["backend"], "127.0.0.1:8080");
  EXPECT_EQ(open["state"], "OPEN");
  EXPECT_DOUBLE_EQ(open["age_seconds"].get<double>(), 192.4);
  EXPECT_EQ(open["bytes_up"], 1234);
  EXPECT_EQ(open["bytes_down"], 1234567);
  EXPECT_FALSE(open.contains("connect"));
  EXPECT_EQ(open.size(), 11U);
}

TEST(ConnectionsJsonTest, TlsSideHasTheStatusFields) {
  const nlohmann::json json = connectionsJson(sampleConnections());
  const nlohmann::json& accept = json["connections"][0]["accept"];
  EXPECT_EQ(accept["protocol"], "TLSv1.3");
  EXPECT_EQ(accept["cipher"], "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(accept["alpn"], "h2");
  EXPECT_EQ(accept["sni"], "web.example");
  EXPECT_EQ(accept["resumed"], true);
  EXPECT_TRUE(accept["resumed"].is_boolean());
  EXPECT_EQ(accept["verification"], "ok");
  EXPECT_EQ(accept.size(), 7U);

  const nlohmann::json& peer = accept["peer"];
  EXPECT_EQ(peer["subject"], "CN=client.example");
  EXPECT_EQ(peer["issuer"], "CN=Test CA");
  EXPECT_EQ(peer["notBefore"], "Jan  1 00:00:00 2024 GMT");
  EXPECT_EQ(peer["notAfter"], "Jan  1 00:00:00 2034 GMT");
  EXPECT_EQ(peer["sha256_hash"], "0a1b2c");
  EXPECT_EQ(peer.size(), 5U);
}

TEST(ConnectionsJsonTest, SidesAndPeerOnlyWhenPresent) {
  const nlohmann::json json = connectionsJson(sampleConnections());
  const nlohmann::json& negotiating = json["connections"][1];
  EXPECT_FALSE(negotiating.contains("accept"));
  ASSERT_TRUE(negotiating.contains("connect"));
  EXPECT_EQ(negotiating["connect"]["protocol"], "");
  EXPECT_EQ(negotiating["connect"]["verification"], "none");
  EXPECT_EQ(negotiating["connect"]["resumed"], false);
  EXPECT_FALSE(negotiating["connect"].contains("peer"));
  EXPECT_EQ(negotiating["backend"], "");
}

TEST(ConnectionsJsonTest, CountsWorkersThatDidNotAnswer) {
  ConnectionListing listing;
  listing.workers_unanswered = 2;
  const nlohmann::json json = connectionsJson(listing);
  EXPECT_TRUE(json["connections"].is_array());
  EXPECT_TRUE(json["connections"].empty());
  EXPECT_EQ(json["workers_unanswered"], 2);
}

TEST(StatusJsonTest, TopLevelFields) {
  const nlohmann::json json = statusJson(sampleStatus());
  EXPECT_EQ(json["version"], "0.1.0");
  EXPECT_EQ(json["started"], 1700000000);
  EXPECT_TRUE(json["started"].is_number_integer());
  EXPECT_DOUBLE_EQ(json["uptime_seconds"].get<double>(), 3723.5);
  EXPECT_EQ(json["workers"], 2);
  EXPECT_EQ(json["ready"], true);
  EXPECT_EQ(json["draining"], false);
  EXPECT_EQ(json["generation"], 3);
  EXPECT_EQ(json.size(), 9U);
}

TEST(StatusJsonTest, Reload) {
  const nlohmann::json reload = statusJson(sampleStatus())["reload"];
  EXPECT_EQ(reload["last_ok"], false);
  EXPECT_EQ(reload["last_time"], 1700003000);
  EXPECT_EQ(reload["successes"], 2);
  EXPECT_EQ(reload["failures"], 1);
  EXPECT_EQ(reload["last_error"], "tlsgate.yaml:4:5: global.timeouts.handshak: unknown key");
  EXPECT_EQ(reload.size(), 5U);
}

TEST(StatusJsonTest, Listeners) {
  const nlohmann::json listeners = statusJson(sampleStatus())["listeners"];
  ASSERT_EQ(listeners.size(), 2U);
  const nlohmann::json& web = listeners[0];
  EXPECT_EQ(web["name"], "web");
  EXPECT_EQ(web["accept"], "127.0.0.1:8443");
  EXPECT_EQ(web["connect"], "127.0.0.1:8080");
  EXPECT_EQ(web["accept_tls"], true);
  EXPECT_EQ(web["connect_tls"], false);
  EXPECT_EQ(web["connections_active"], 2);
  EXPECT_EQ(web["connections_total"], 10);
  EXPECT_EQ(web.size(), 7U);
  EXPECT_EQ(listeners[1]["name"], "origin");
  EXPECT_EQ(listeners[1]["connect_tls"], true);
}

TEST(StatusJsonTest, NoListenersIsAnEmptyArray) {
  const nlohmann::json json = statusJson(StatusSnapshot{});
  EXPECT_TRUE(json["listeners"].is_array());
  EXPECT_EQ(json["reload"]["last_error"], "");
}

}  // namespace
}  // namespace tlsgate
