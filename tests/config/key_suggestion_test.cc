#include "config/key_suggestion.h"

#include <gtest/gtest.h>

#include <array>

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 4> known_keys = {"cipher", "ciphersuites", "cafile",
                                                        "cadir"};

TEST(KeySuggestionTest, EditDistance) {
  EXPECT_EQ(editDistance("cipher", "cipher"), 0u);
  EXPECT_EQ(editDistance("ciper", "cipher"), 1u);
  EXPECT_EQ(editDistance("cihper", "cipher"), 1u);  // a swap counts once
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
}

TEST(KeySuggestionTest, SuggestsTheClosestKey) {
  EXPECT_EQ(closestKey("ciphersuite", known_keys), "ciphersuites");
  EXPECT_EQ(closestKey("cafil", known_keys), "cafile");
  EXPECT_EQ(closestKey("cadri", known_keys), "cadir");
}

TEST(KeySuggestionTest, NothingWhenFarAway) {
  EXPECT_EQ(closestKey("certificates", known_keys), std::nullopt);
  EXPECT_EQ(closestKey("cphrsuite", known_keys), std::nullopt);
}

}  // namespace
}  // namespace tlsgate
