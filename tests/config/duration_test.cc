#include "config/duration.h"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

Duration durationOf(std::string_view text) {
  auto parsed = parseDuration(text);
  EXPECT_TRUE(parsed.isOk()) << text << ": " << parsed.error();
  return parsed.isOk() ? parsed.value() : Duration::min();
}

std::string durationError(std::string_view text) {
  auto parsed = parseDuration(text);
  EXPECT_FALSE(parsed.isOk()) << text << " parsed";
  return parsed.error();
}

TEST(DurationTest, ParsesEachUnit) {
  EXPECT_EQ(durationOf("500ms"), milliseconds(500));
  EXPECT_EQ(durationOf("10s"), seconds(10));
  EXPECT_EQ(durationOf("5m"), minutes(5));
  EXPECT_EQ(durationOf("1h"), hours(1));
  EXPECT_EQ(durationOf("0s"), Duration::zero());
}

TEST(DurationTest, BareNumberAsksForAUnit) {
  EXPECT_EQ(durationError("10"), "'10' has no unit; add one, e.g. 10s or 10ms");
}

TEST(DurationTest, RejectsUnknownUnitsAndJunk) {
  EXPECT_NE(durationError("1d").find("unknown unit 'd'"), std::string::npos);
  EXPECT_NE(durationError("10 s").find("unknown unit ' s'"), std::string::npos);
  EXPECT_NE(durationError("s").find("is not a duration"), std::string::npos);
  EXPECT_NE(durationError("-5s").find("is not a duration"), std::string::npos);
  EXPECT_NE(durationError("1.5s").find("unknown unit '.5s'"), std::string::npos);
  EXPECT_NE(durationError("").find("is not a duration"), std::string::npos);
}

TEST(DurationTest, RejectsOverflow) {
  EXPECT_NE(durationError("99999999999999999h").find("too long"), std::string::npos);
  EXPECT_NE(durationError("999999999999999999999999s").find("is not a duration"),
            std::string::npos);
}

uint64_t sizeOf(std::string_view text) {
  auto parsed = parseSize(text);
  EXPECT_TRUE(parsed.isOk()) << text << ": " << parsed.error();
  return parsed.isOk() ? parsed.value() : 0;
}

TEST(SizeTest, ParsesBytesAndPowersOf1024) {
  EXPECT_EQ(sizeOf("512"), 512u);
  EXPECT_EQ(sizeOf("64k"), 64u * 1024);
  EXPECT_EQ(sizeOf("64K"), 64u * 1024);
  EXPECT_EQ(sizeOf("1m"), 1024u * 1024);
  EXPECT_EQ(sizeOf("2g"), 2ull * 1024 * 1024 * 1024);
}

TEST(SizeTest, RejectsUnknownUnitsAndJunk) {
  EXPECT_FALSE(parseSize("64kb").isOk());
  EXPECT_FALSE(parseSize("1t").isOk());
  EXPECT_FALSE(parseSize("k").isOk());
  EXPECT_FALSE(parseSize("-1k").isOk());
  EXPECT_FALSE(parseSize("99999999999999999999g").isOk());
  EXPECT_FALSE(parseSize("17179869184g").isOk());  // 2^34 GiB overflows 64 bits
  EXPECT_NE(parseSize("1t").error().find("unknown unit 't'"), std::string::npos);
}

}  // namespace
}  // namespace tlsgate
