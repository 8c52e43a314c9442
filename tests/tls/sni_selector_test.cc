#include "tls/sni_selector.h"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

TEST(SniSelectorTest, ExactNamesAreCaseInsensitive) {
  SniSelector selector;
  selector.add({"api.example.com"}, 1);
  EXPECT_EQ(selector.select("api.example.com"), 1U);
  EXPECT_EQ(selector.select("API.Example.COM"), 1U);
  EXPECT_EQ(selector.select("api.example.com."), 1U);  // fully qualified
  EXPECT_EQ(selector.select("www.example.com"), std::nullopt);
}

TEST(SniSelectorTest, WildcardMatchesExactlyOneLabel) {
  SniSelector selector;
  selector.add({"*.example.com"}, 2);
  EXPECT_EQ(selector.select("www.example.com"), 2U);
  EXPECT_EQ(selector.select("WWW.EXAMPLE.COM"), 2U);
  EXPECT_EQ(selector.select("example.com"), std::nullopt);
  EXPECT_EQ(selector.select("a.b.example.com"), std::nullopt);
  EXPECT_EQ(selector.select(".example.com"), std::nullopt);
}

TEST(SniSelectorTest, ExactBeatsWildcardWhateverTheOrder) {
  SniSelector selector;
  selector.add({"*.example.com"}, 0);
  selector.add({"api.example.com"}, 1);
  EXPECT_EQ(selector.select("api.example.com"), 1U);
  EXPECT_EQ(selector.select("www.example.com"), 0U);
}

TEST(SniSelectorTest, FirstGroupKeepsASharedName) {
  SniSelector selector;
  selector.add({"shared.example", "a.example"}, 0);
  selector.add({"shared.example", "b.example"}, 1);
  EXPECT_EQ(selector.select("shared.example"), 0U);
  EXPECT_EQ(selector.select("b.example"), 1U);
}

TEST(SniSelectorTest, PartialWildcardsNeverMatch) {
  SniSelector selector;
  selector.add({"f*.example.com", "*", "*.*.example.com"}, 0);
  EXPECT_EQ(selector.select("foo.example.com"), std::nullopt);
  EXPECT_EQ(selector.select("f*.example.com"), std::nullopt);
  EXPECT_EQ(selector.select("a.b.example.com"), std::nullopt);
  EXPECT_EQ(selector.select("localhost"), std::nullopt);
}

}  // namespace
}  // namespace tlsgate
