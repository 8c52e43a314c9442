#include "admin/admin_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "admin/admin_test_support.h"
#include "admin/fixed_admin_source.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

class AdminServerTest : public ::testing::Test {
 protected:
  AdminServerTest() {
    source_.setStatus(sampleStatus());
    source_.setMetrics(sampleMetrics());
    source_.setConnections(sampleConnections());
  }

  // Serves `config` on a started server.
  AdminServer& serve(const AdminConfig& config) {
    server_ = std::make_unique<AdminServer>(config, source_);
    server_->start();
    return *server_;
  }

  httplib::Result get(const std::string& path, const std::string& token = "") {
    httplib::Client client = clientFor(server_->boundAddress());
    if (!token.empty()) {
      client.set_bearer_token_auth(token);
    }
    return client.Get(path);
  }

  TempDir dir_;
  FixedAdminSource source_;
  std::unique_ptr<AdminServer> server_;
};

// ---------------------------------------------------------------- routes

TEST_F(AdminServerTest, BindsLoopbackOnAPortTheKernelChose) {
  const std::string address = serve(loopbackConfig()).boundAddress();
  EXPECT_TRUE(address.starts_with("127.0.0.1:")) << address;
  EXPECT_NE(portOf(address), 0);
}

TEST_F(AdminServerTest, MetricsServesPrometheusText) {
  serve(loopbackConfig());
  httplib::Result result = get("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(result->body.find("\ntlsgate_connections_total{listener=\"web\"} 10\n"),
            std::string::npos);
}

TEST_F(AdminServerTest, StatusServesJson) {
  serve(loopbackConfig());
  httplib::Result result = get("/status");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const nlohmann::json json = nlohmann::json::parse(result->body);
  EXPECT_EQ(json["version"], "0.1.0");
  EXPECT_EQ(json["generation"], 3);
  EXPECT_EQ(json["listeners"].size(), 2U);
}

TEST_F(AdminServerTest, ConnectionsAsksTheWorkersWithATwoSecondBound) {
  serve(loopbackConfig());
  httplib::Result result = get("/connections");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const nlohmann::json json = nlohmann::json::parse(result->body);
  ASSERT_EQ(json["connections"].size(), 2U);
  EXPECT_EQ(json["connections"][0]["id"], 17);
  EXPECT_EQ(source_.lastBound(), std::chrono::seconds(2));
}

TEST_F(AdminServerTest, HealthzIsOkWhenReady) {
  serve(loopbackConfig());
  httplib::Result result = get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "ok\n");
}

TEST_F(AdminServerTest, HealthzIs503WhileDraining) {
  StatusSnapshot status = sampleStatus();
  status.draining = true;
  source_.setStatus(status);
  serve(loopbackConfig());
  httplib::Result result = get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(result->body, "draining\n");
}

TEST_F(AdminServerTest, HealthzIs503BeforeReady) {
  StatusSnapshot status = sampleStatus();
  status.ready = false;
  source_.setStatus(status);
  serve(loopbackConfig());
  httplib::Result result = get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(result->body, "not ready\n");
}

TEST_F(AdminServerTest, UnknownPathIs404) {
  serve(loopbackConfig());
  httplib::Result result = get("/nope");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(result->body, "not found\n");
}

class ThrowingSource : public FixedAdminSource {
 public:
  MetricsSnapshot metrics() override { throw std::runtime_error("no metrics today"); }
};

TEST(AdminServerErrorsTest, AnExceptionInASourceIsA500AndServingGoesOn) {
  ThrowingSource source;
  source.setStatus(sampleStatus());
  AdminServer server(loopbackConfig(), source);
  server.start();
  httplib::Client client = clientFor(server.boundAddress());
  httplib::Result failed = client.Get("/metrics");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(failed->get_header_value("EXCEPTION_WHAT"), "");
  httplib::Result healthy = client.Get("/healthz");
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->status, 200);
}

// ---------------------------------------------------------------- token

TEST_F(AdminServerTest, WithATokenEveryRouteButHealthzNeedsIt) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", "  s3cret-token \nsecond line\n"));
  serve(config);
  for (const char* path : {"/metrics", "/status", "/connections"}) {
    httplib::Result missing = get(path);
    ASSERT_TRUE(missing) << path;
    EXPECT_EQ(missing->status, 401) << path;
    EXPECT_TRUE(missing->get_header_value("WWW-Authenticate").starts_with("Bearer")) << path;

    httplib::Result wrong = get(path, "s3cret-tokeN");
    ASSERT_TRUE(wrong) << path;
    EXPECT_EQ(wrong->status, 401) << path;

    httplib::Result longer = get(path, "s3cret-token-and-more");
    ASSERT_TRUE(longer) << path;
    EXPECT_EQ(longer->status, 401) << path;

    httplib::Result right = get(path, "s3cret-token");
    ASSERT_TRUE(right) << path;
    EXPECT_EQ(right->status, 200) << path;
  }
  httplib::Result health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(AdminServerTest, TheBearerSchemeIsCaseInsensitive) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", "s3cret\n"));
  serve(config);
  httplib::Client client = clientFor(server_->boundAddress());
  httplib::Result result = client.Get("/status", {{"Authorization", "bearer s3cret"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  httplib::Result basic = client.Get("/status", {{"Authorization", "Basic s3cret"}});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
}

TEST_F(AdminServerTest, AnUnreadableTokenFileStopsStartup) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.file("missing"));
  try {
    AdminServer server(config, source_);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:5:17: global.admin.token_file: cannot read " +
                                         dir_.file("missing") + ": No such file or directory");
  }
}

TEST_F(AdminServerTest, AnEmptyTokenFileStopsStartup) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", " \n"));
  try {
    AdminServer server(config, source_);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yaml:5:17: global.admin.token_file: " + dir_.file("token") +
                  " has no token; put it on the first line");
  }
}

TEST_F(AdminServerTest, ATokenLineOverTheLimitStopsStartup) {
  AdminConfig config = loopbackConfig();
  config.token_file = tokenFile(dir_.write("token", std::string(70000, 't') + "\n"));
  try {
    AdminServer server(config, source_);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:5:17: global.admin.token_file: the first line of " +
                                         dir_.file("token") +
                                         " is longer than 65536 bytes; put the token alone on it");
  }
}

// ---------------------------------------------------------------- binding

TEST_F(AdminServerTest, APortInUseSaysSoAtTheListenKey) {
  const uint16_t port = portOf(serve(loopbackConfig()).boundAddress());
  try {
    AdminServer second(loopbackConfig(port), source_);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "test.yaml:3:11: global.admin.listen: cannot listen on 127.0.0.1:" + std::to_string(port) +
            ": Address already in use (another program listens there; pick another port "
            "or stop it)");
  }
}

TEST_F(AdminServerTest, ThePortIsFreeAgainAfterStop) {
  const uint16_t port = portOf(serve(loopbackConfig()).boundAddress());
  server_->stop();
  AdminServer again(loopbackConfig(port), source_);
  EXPECT_EQ(again.boundAddress(), "127.0.0.1:" + std::to_string(port));
}

TEST_F(AdminServerTest, StopIsSafeTwiceAndWithoutStart) {
  AdminServer never_started(loopbackConfig(), source_);
  never_started.stop();
  never_started.stop();

  serve(loopbackConfig());
  server_->stop();
  server_->stop();
  EXPECT_FALSE(get("/healthz"));
}

TEST_F(AdminServerTest, ABoundButUnstartedServerReleasesItsPort) {
  uint16_t port = 0;
  {
    AdminServer unstarted(loopbackConfig(), source_);
    port = portOf(unstarted.boundAddress());
  }
  AdminServer again(loopbackConfig(port), source_);
  EXPECT_EQ(portOf(again.boundAddress()), port);
}

TEST_F(AdminServerTest, NoListenAddressIsAnError) {
  EXPECT_THROW(AdminServer(AdminConfig{}, source_), ConfigError);
}

// ---------------------------------------------------------------- unix sockets

mode_t modeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode;
}

TEST_F(AdminServerTest, AUnixSocketIsPrivateAndServes) {
  const std::string path = dir_.file("admin.sock");
  AdminConfig config = unixConfig(path);
  serve(config);
  EXPECT_EQ(server_->boundAddress(), "unix:" + path);
  EXPECT_TRUE(S_ISSOCK(modeOf(path)));
  EXPECT_EQ(modeOf(path) & 07777, 0600U);

  httplib::Result result = get("/status");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);

  server_->stop();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(AdminServerTest, AStaleUnixSocketIsReplaced) {
  const std::string path = dir_.file("admin.sock");
  {
    // Bound by a process that has gone away: the file stays, nobody listens.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  serve(unixConfig(path));
  httplib::Result result = get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(AdminServerTest, ALiveUnixSocketIsNotTakenOver) {
  const std::string path = dir_.file("admin.sock");
  serve(unixConfig(path));
  try {
    AdminServer second(unixConfig(path), source_);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yaml:3:11: global.admin.listen: another process "
              "listens on unix:" +
                  path +
                  " (is tlsgate running already?); stop it or choose "
                  "another path");
  }
  httplib::Result result = get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(AdminServerTest, AFileThatIsNoSocketIsLeftAlone) {
  const std::string path = dir_.write("admin.sock", "data\n");
  try {
    AdminServer server(unixConfig(path), source_);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yaml:3:11: global.admin.listen: " + path +
                  " exists and is not a socket; remove it or choose another path");
  }
  EXPECT_TRUE(S_ISREG(modeOf(path)));
}

TEST_F(AdminServerTest, AUnixSocketInAMissingDirectorySaysSo) {
  const std::string path = dir_.file("no/such/dir/admin.sock");
  try {
    AdminServer server(unixConfig(path), source_);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yaml:3:11: global.admin.listen: cannot listen on unix:" + path +
                  ": No such file or directory (the directory does not exist)");
  }
}

}  // namespace
}  // namespace tlsgate
