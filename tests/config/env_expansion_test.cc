#include "config/env_expansion.h"

#include <gtest/gtest.h>

#include <map>

namespace tlsgate {
namespace {

const EnvLookup kFakeEnv = [](const std::string& name) -> std::optional<std::string> {
  static const std::map<std::string, std::string> kVars = {
      {"PORT", "8443"}, {"HOST", "example.com"}, {"EMPTY", ""}};
  auto it = kVars.find(name);
  if (it == kVars.end()) {
    return std::nullopt;
  }
  return it->second;
};

std::string expanded(std::string_view text) {
  auto result = expandEnv(text, kFakeEnv);
  EXPECT_TRUE(result.isOk()) << text << ": " << result.error();
  return result.isOk() ? result.value() : "<error>";
}

std::string expansionError(std::string_view text) {
  auto result = expandEnv(text, kFakeEnv);
  EXPECT_FALSE(result.isOk()) << text << " expanded to " << (result.isOk() ? result.value() : "");
  return result.error();
}

TEST(EnvExpansionTest, ReplacesVariables) {
  EXPECT_EQ(expanded("${HOST}:${PORT}"), "example.com:8443");
  EXPECT_EQ(expanded("plain text"), "plain text");
  EXPECT_EQ(expanded(""), "");
}

TEST(EnvExpansionTest, DefaultAppliesWhenUnsetOrEmpty) {
  EXPECT_EQ(expanded("${MISSING:-9000}"), "9000");
  EXPECT_EQ(expanded("${EMPTY:-fallback}"), "fallback");
  EXPECT_EQ(expanded("${PORT:-9000}"), "8443");
  EXPECT_EQ(expanded("${MISSING:-}"), "");
  EXPECT_EQ(expanded("${MISSING:-a:b}"), "a:b");
}

TEST(EnvExpansionTest, SetButEmptyWithoutDefaultIsEmpty) {
  EXPECT_EQ(expanded("x${EMPTY}y"), "xy");
}

TEST(EnvExpansionTest, DollarEscapes) {
  EXPECT_EQ(expanded("$$"), "$");
  EXPECT_EQ(expanded("$${PORT}"), "${PORT}");
  EXPECT_EQ(expanded("a$b"), "a$b");  // a lone $ stays
  EXPECT_EQ(expanded("cost$"), "cost$");
}

TEST(EnvExpansionTest, UnsetVariableIsNamed) {
  EXPECT_EQ(expansionError("x${MISSING}y"),
            "environment variable MISSING is not set (set it, or write ${MISSING:-default} to "
            "give a default)");
}

TEST(EnvExpansionTest, MalformedReferences) {
  EXPECT_NE(expansionError("${PORT").find("without a closing"), std::string::npos);
  EXPECT_NE(expansionError("${}").find("is not a variable reference"), std::string::npos);
  EXPECT_NE(expansionError("${1ABC}").find("is not a variable reference"), std::string::npos);
  EXPECT_NE(expansionError("${A B}").find("is not a variable reference"), std::string::npos);
}

TEST(EnvExpansionTest, NameRules) {
  EXPECT_TRUE(isEnvName("KEY_PASS_2"));
  EXPECT_TRUE(isEnvName("_x"));
  EXPECT_FALSE(isEnvName("2X"));
  EXPECT_FALSE(isEnvName(""));
  EXPECT_FALSE(isEnvName("A-B"));
}

}  // namespace
}  // namespace tlsgate
