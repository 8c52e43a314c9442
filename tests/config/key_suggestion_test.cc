#include "config/key_suggestion.h"

#include <gtest/gtest.h>

#include <array>

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 4> kKnownKeys = {"cipher", "ciphersuites", "cafile",
                                                        "cadir"};

TEST(KeySuggestionTest, EditDistance) {
  EXPECT_EQ(editDistance("cipher", "cipher"), 0u);
  EXPECT_EQ(editDistance("ciper", "cipher"), 1u);
  EXPECT_EQ(editDistance("cihper", "cipher"), 1u);  // a swap counts once
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
}

TEST(KeySuggestionTest, SuggestsTheClosestKey) {
  EXPECT_EQ(closestKey("ciphersuite", kKnownKeys), "ciphersuites");
  EXPECT_EQ(closestKey("cafil", kKnownKeys), "cafile");
  EXPECT_EQ(closestKey("cadri", kKnownKeys), "cadir");
}

TEST(KeySuggestionTest, NothingWhenFarAway) {
  EXPECT_EQ(closestKey("certificates", kKnownKeys), std::nullopt);
  EXPECT_EQ(closestKey("cphrsuite", kKnownKeys), std::nullopt);
}

}  // namespace
}  // namespace tlsgate
