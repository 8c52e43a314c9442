#include "app/file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "config/config_loader.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

// Runs `body` in a child process whose open-file limit is `limit` (soft and
// hard), so the test process keeps its own; returns the child's exit code.
int withFileLimit(rlim_t limit, const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit low{limit, limit};
    ::setrlimit(RLIMIT_NOFILE, &low);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

Config load(const std::string& limits) {
  return ConfigLoader::loadString("global:\n  log: { level: off }\n  limits: " + limits +
                                  "\nlisteners:\n  - name: a\n    accept: { address: "
                                  "127.0.0.1:1 }\n    connect: { address: 127.0.0.1:2 }\n");
}

TEST(FileLimitTest, HeadroomCountsListenersAndWorkers) {
  const Config config = load("{}");
  EXPECT_EQ(fileLimitHeadroom(config, 2), 64U + 2 * (1 + 4));
}

TEST(FileLimitTest, UnsetMaxConnectionsIsLoweredToFit) {
  EXPECT_EQ(withFileLimit(1000,
                          [] {
                            Config config = load("{}");
                            fitFileLimit(config, 1);
                            // (1000 - 69) / 2
                            return config.global.limits.max_connections == 465 ? 0 : 1;
                          }),
            0);
}

TEST(FileLimitTest, SetMaxConnectionsBeyondTheLimitIsAnError) {
  EXPECT_EQ(withFileLimit(1000,
                          [] {
                            Config config = load("{ max_connections: 5000 }");
                            try {
                              fitFileLimit(config, 1);
                            } catch (const ConfigError& e) {
                              const std::string text = e.what();
                              return text.find("<config>:3:") == 0 &&
                                             text.find(
                                                 ": limits.max_connections: the open-file "
                                                 "limit is 1000") != std::string::npos &&
                                             text.find("at most 465") != std::string::npos
                                         ? 0
                                         : 2;
                            }
                            return 1;
                          }),
            0);
}

TEST(FileLimitTest, StrictFdLimitFalseOnlyWarns) {
  EXPECT_EQ(withFileLimit(1000,
                          [] {
                            Config config =
                                load("{ max_connections: 5000, strict_fd_limit: false }");
                            fitFileLimit(config, 1);
                            return config.global.limits.max_connections == 5000 ? 0 : 1;
                          }),
            0);
}

TEST(FileLimitTest, RaisesTheSoftLimitWhenTheHardLimitAllows) {
  rlimit own{};
  ::getrlimit(RLIMIT_NOFILE, &own);
  if (own.rlim_max != RLIM_INFINITY && own.rlim_max < 2069) {
    GTEST_SKIP() << "the hard open-file limit here is " << own.rlim_max << "; the test needs 2069";
  }
  EXPECT_EQ(withFileLimit(own.rlim_max,
                          [] {
                            rlimit now{};
                            ::getrlimit(RLIMIT_NOFILE, &now);
                            now.rlim_cur = 256;
                            ::setrlimit(RLIMIT_NOFILE, &now);
                            Config config = load("{ max_connections: 1000 }");
                            fitFileLimit(config, 1);
                            ::getrlimit(RLIMIT_NOFILE, &now);
                            return now.rlim_cur >= 2069 ? 0 : 1;
                          }),
            0);
}

}  // namespace
}  // namespace tlsgate
