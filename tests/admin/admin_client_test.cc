#include "admin/admin_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "admin/admin_server.h"
#include "admin/admin_test_support.h"
#include "admin/fixed_admin_source.h"

namespace tlsgate {
namespace {

class AdminClientTest : public ::testing::Test {
 protected:
  AdminClientTest() {
    source_.setStatus(sampleStatus());
    source_.setMetrics(sampleMetrics());
    source_.setConnections(sampleConnections());
  }

  AdminTarget serve(const AdminConfig& config) {
    server_ = std::make_unique<AdminServer>(config, source_);
    server_->start();
    return AdminTarget{server_->boundAddress(), ""};
  }

  // A loopback address where nothing listens: bound once, then released.
  std::string deadAddress() {
    AdminServer gone(loopbackConfig(), source_);
    return gone.boundAddress();
  }

  TempDir dir_;
  FixedAdminSource source_;
  std::unique_ptr<AdminServer> server_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(AdminClientTest, StatusPrintsTheTable) {
  const AdminTarget target = serve(loopbackConfig());
  EXPECT_EQ(runStatusCommand(target, false, out_, err_), 0) << err_.str();
  EXPECT_EQ(err_.str(), "");
  EXPECT_TRUE(out_.str().starts_with("tlsgate 0.1.0, generation 3, 2 listeners, 2 connections\n"))
      << out_.str();
  EXPECT_NE(out_.str().find("TLSv1.3/TLS_AES_256_GCM_SHA384 CN=client.example"), std::string::npos)
      << out_.str();
}

TEST_F(AdminClientTest, StatusJsonPrintsTheConnectionsAsReceived) {
  const AdminTarget target = serve(loopbackConfig());
  EXPECT_EQ(runStatusCommand(target, true, out_, err_), 0) << err_.str();
  const nlohmann::json json = nlohmann::json::parse(out_.str());
  EXPECT_EQ(json["connections"].size(), 2U);
  EXPECT_EQ(json["connections"][0]["accept"]["sni"], "web.example");
  EXPECT_NE(out_.str().find("\n  \"connections\": ["), std::string::npos) << "not pretty";
}

TEST_F(AdminClientTest, StatusOverAUnixSocket) {
  const AdminTarget target = serve(unixConfig(dir_.file("admin.sock")));
  EXPECT_EQ(target.address, "unix:" + dir_.file("admin.sock"));
  EXPECT_EQ(runStatusCommand(target, false, out_, err_), 0) << err_.str();
  EXPECT_TRUE(out_.str().starts_with("tlsgate 0.1.0"));
}

TEST_F(AdminClientTest, StatusWithTheToken) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", "s3cret\n"));
  AdminTarget target = serve(config);
  target.token = "s3cret";
  EXPECT_EQ(runStatusCommand(target, false, out_, err_), 0) << err_.str();
}

TEST_F(AdminClientTest, StatusWithoutTheTokenSaysOneIsNeeded) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", "s3cret\n"));
  const AdminTarget target = serve(config);
  EXPECT_EQ(runStatusCommand(target, false, out_, err_), 1);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "tlsgate: the admin endpoint at " + target.address +
                            " needs a token (the first line of global.admin.token_file)\n");
}

TEST_F(AdminClientTest, StatusWithAWrongTokenSaysItWasRefused) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", "s3cret\n"));
  AdminTarget target = serve(config);
  target.token = "guess";
  EXPECT_EQ(runStatusCommand(target, true, out_, err_), 1);
  EXPECT_EQ(err_.str(), "tlsgate: the admin endpoint at " + target.address +
                            " refused the token (check global.admin.token_file)\n");
}

TEST_F(AdminClientTest, StatusWithNothingListeningNamesTheAddressAndSuggestsAdmin) {
  const AdminTarget target{deadAddress(), ""};
  EXPECT_EQ(runStatusCommand(target, false, out_, err_), 1);
  EXPECT_EQ(err_.str(), "tlsgate: cannot connect to the admin endpoint at " + target.address +
                            "; is tlsgate running with global.admin.listen there? (--admin ADDR "
                            "asks another address)\n");
}

TEST_F(AdminClientTest, ABadAddressIsRefusedBeforeConnecting) {
  for (const char* address :
       {"localhost", "127.0.0.1:", "127.0.0.1:99999", "::1:9100", "unix:", "[::1]9100"}) {
    std::ostringstream err;
    EXPECT_EQ(runHealthCommand(AdminTarget{address, ""}, err), 1) << address;
    EXPECT_EQ(err.str(), std::string("tlsgate: '") + address +
                             "' is not an admin address; use host:port, [v6]:port or unix:/path\n");
  }
}

TEST_F(AdminClientTest, HealthIsZeroWhenServing) {
  const AdminTarget target = serve(loopbackConfig());
  EXPECT_EQ(runHealthCommand(target, err_), 0);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AdminClientTest, HealthNeedsNoToken) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", "s3cret\n"));
  const AdminTarget target = serve(config);
  EXPECT_EQ(runHealthCommand(target, err_), 0) << err_.str();
}

TEST_F(AdminClientTest, HealthSaysDraining) {
  StatusSnapshot status = sampleStatus();
  status.draining = true;
  source_.setStatus(status);
  const AdminTarget target = serve(loopbackConfig());
  EXPECT_EQ(runHealthCommand(target, err_), 1);
  EXPECT_EQ(err_.str(), "tlsgate: not healthy: draining\n");
}

TEST_F(AdminClientTest, HealthSaysNotReady) {
  StatusSnapshot status = sampleStatus();
  status.ready = false;
  source_.setStatus(status);
  const AdminTarget target = serve(unixConfig(dir_.file("admin.sock")));
  EXPECT_EQ(runHealthCommand(target, err_), 1);
  EXPECT_EQ(err_.str(), "tlsgate: not healthy: not ready\n");
}

TEST_F(AdminClientTest, HealthWithNothingListening) {
  const AdminTarget target{"unix:" + dir_.file("nobody.sock"), ""};
  EXPECT_EQ(runHealthCommand(target, err_), 1);
  EXPECT_TRUE(
      err_.str().starts_with("tlsgate: cannot connect to the admin endpoint at " + target.address))
      << err_.str();
}

}  // namespace
}  // namespace tlsgate
