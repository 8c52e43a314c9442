#include "app/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

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
