#include "app/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "proxy/connection_log.h"
#include "support/test_pki.h"

namespace tlsgate {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LoggingTest, JsonLinesEscapeTheMessage) {
  test::TestPki dir;
  LogConfig log;
  log.format = LogFormat::json;
  log.file = dir.dir() + "/tlsgate.log";
  setupLogging(log);
  spdlog::info(R"(conn=1 reason="a \ b")");
  spdlog::default_logger()->flush();
  std::string line = readFile(log.file);
  EXPECT_NE(line.find(R"("level":"info","msg":"conn=1 reason=\"a \\ b\""})"), std::string::npos)
      << line;
  setupBootstrapLogging();
}

TEST(LoggingTest, JsonConnectionLinesCarryTheirFieldsAsKeys) {
  test::TestPki dir;
  LogConfig log;
  log.format = LogFormat::json;
  log.file = dir.dir() + "/tlsgate.log";
  setupLogging(log);
  ConnectionRecord record;
  record.id = 7;
  record.listener = "web";
  record.generation = 3;
  record.client = "127.0.0.1:5000";
  record.bytes_up = 10;
  TlsSummary tls;
  tls.protocol = "TLSv1.3";
  tls.cipher = "TLS_AES_128_GCM_SHA256";
  tls.peer = "CN=\"quoted\"";
  record.accept_tls = tls;
  record.failed = true;
  record.phase = "handshake";
  record.reason = "peer spoke plaintext to a TLS port";
  logConnection(record);
  spdlog::default_logger()->flush();
  const nlohmann::json line = nlohmann::json::parse(readFile(log.file));
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["msg"], "connection closed");
  EXPECT_EQ(line["conn"], 7);
  EXPECT_EQ(line["generation"], 3);
  EXPECT_EQ(line["bytes_up"], 10);
  EXPECT_EQ(line["accept"]["cipher"], "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(line["accept"]["peer"], "CN=\"quoted\"");
  EXPECT_EQ(line["outcome"], "failed");
  EXPECT_EQ(line["reason"], "peer spoke plaintext to a TLS port");
  EXPECT_TRUE(line.contains("time"));
  setupBootstrapLogging();
}

TEST(LoggingTest, ReopenFollowsARenamedLogFile) {
  test::TestPki dir;
  LogConfig log;
  log.file = dir.dir() + "/tlsgate.log";
  setupLogging(log);
  spdlog::info("before rotation");
  ASSERT_EQ(std::rename(log.file.c_str(), (log.file + ".1").c_str()), 0);
  spdlog::info("still the old file");
  std::string error;
  ASSERT_TRUE(reopenLogFile(&error)) << error;
  spdlog::info("after rotation");
  spdlog::default_logger()->flush();
  const std::string rotated = readFile(log.file + ".1");
  const std::string fresh = readFile(log.file);
  EXPECT_NE(rotated.find("still the old file"), std::string::npos);
  EXPECT_EQ(rotated.find("after rotation"), std::string::npos);
  EXPECT_NE(fresh.find("after rotation"), std::string::npos) << fresh;
  EXPECT_EQ(fresh.find("before rotation"), std::string::npos);
  setupBootstrapLogging();
  EXPECT_TRUE(reopenLogFile(&error));  // stderr: nothing to reopen
}

TEST(LoggingTest, LevelFiltersMessages) {
  test::TestPki dir;
  LogConfig log;
  log.level = "warn";
  log.file = dir.dir() + "/tlsgate.log";
  setupLogging(log);
  spdlog::info("quiet");
  spdlog::warn("loud");
  spdlog::default_logger()->flush();
  std::string text = readFile(log.file);
  EXPECT_EQ(text.find("quiet"), std::string::npos);
  EXPECT_NE(text.find("warning loud"), std::string::npos) << text;
  setupBootstrapLogging();
}

}  // namespace
}  // namespace tlsgate
