// Helpers for tests that expect ConfigLoader to refuse a configuration.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "util/config_error.h"

namespace tlsgate::testing {

// Relative paths in loadString() configs resolve against this directory.
inline constexpr const char* kBaseDir = "/etc/tlsgate";

inline Config load(const std::string& yaml) {
  return ConfigLoader::loadString(yaml, "test.yaml", kBaseDir);
}

// The message of the ConfigError that loading `yaml` throws, or "" (and a
// test failure) when it loads.
inline std::string loadError(const std::string& yaml) {
  try {
    load(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "the configuration loaded, but an error was expected:\n" << yaml;
  return "";
}

// Checks that the message starts with "file:line:col key: " and contains `reason`.
inline ::testing::AssertionResult errorIs(const std::string& message, const std::string& prefix,
                                          const std::string& reason) {
  if (message.rfind(prefix, 0) != 0) {
    return ::testing::AssertionFailure()
           << "'" << message << "' does not start with '" << prefix << "'";
  }
  if (message.find(reason) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "'" << message << "' does not contain '" << reason << "'";
  }
  return ::testing::AssertionSuccess();
}

// A listener that is valid on its own, for tests that vary something else.
inline constexpr const char* kMinimalListeners = R"(listeners:
  - name: web
    accept:
      address: 127.0.0.1:8443
      tls:
        certificates:
          - cert: site.pem
    connect:
      address: 127.0.0.1:8080
)";

}  // namespace tlsgate::testing
