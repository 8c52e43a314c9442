#include "metrics/listener_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tlsgate {
namespace {

std::size_t bucketOf(uint64_t microseconds) {
  DurationHistogram histogram;
  histogram.observe(microseconds);
  for (std::size_t i = 0; i < histogram.buckets.size(); ++i) {
    if (histogram.buckets.at(i).value() == 1) {
      return i;
    }
  }
  ADD_FAILURE() << microseconds << " µs landed in no bucket";
  return histogram.buckets.size();
}

TEST(DurationHistogramTest, BoundaryValuesGoInTheBucketOfThatBound) {
  // kBounds are 1 ms, 2.5 ms, 5 ms, 10 ms … 5 s; [i] counts <= kBounds[i].
  EXPECT_EQ(bucketOf(1000), 0U);
  EXPECT_EQ(bucketOf(2500), 1U);
  EXPECT_EQ(bucketOf(5000), 2U);
  EXPECT_EQ(bucketOf(100000), 6U);
  EXPECT_EQ(bucketOf(1000000), 9U);
  EXPECT_EQ(bucketOf(5000000), 11U);
}

TEST(DurationHistogramTest, EveryBoundIsItsOwnBucket) {
  for (std::size_t i = 0; i < DurationHistogram::kBounds.size(); ++i) {
    const auto microseconds =
        static_cast<uint64_t>(std::llround(DurationHistogram::kBounds.at(i) * 1e6));
    EXPECT_EQ(bucketOf(microseconds), i) << DurationHistogram::kBounds.at(i) << " s";
    EXPECT_EQ(bucketOf(microseconds + 1), i + 1) << DurationHistogram::kBounds.at(i) << " s + 1 µs";
  }
}

TEST(DurationHistogramTest, SmallAndLargeValuesGoToTheEnds) {
  EXPECT_EQ(bucketOf(0), 0U);
  EXPECT_EQ(bucketOf(999), 0U);
  EXPECT_EQ(bucketOf(5000001), DurationHistogram::kBounds.size());  // +Inf
  EXPECT_EQ(bucketOf(3600000000), DurationHistogram::kBounds.size());
}

TEST(DurationHistogramTest, KeepsSumAndCount) {
  DurationHistogram histogram;
  histogram.observe(1500);
  histogram.observe(20000);
  histogram.observe(7000000);
  EXPECT_EQ(histogram.count.value(), 3U);
  EXPECT_EQ(histogram.sum_microseconds.value(), 7021500U);
  EXPECT_EQ(histogram.buckets.at(1).value(), 1U);   // <= 2.5 ms
  EXPECT_EQ(histogram.buckets.at(4).value(), 1U);   // <= 25 ms
  EXPECT_EQ(histogram.buckets.back().value(), 1U);  // +Inf
}

TEST(ListenerMetricsTest, CountsFailuresAndTimeoutsByKind) {
  ListenerMetrics metrics;
  metrics.accept.fail(FailureKind::alpn);
  metrics.accept.fail(FailureKind::alpn);
  metrics.connect.fail(FailureKind::other);
  metrics.timedOut(TimeoutKind::idle);
  EXPECT_EQ(metrics.accept.failures.at(static_cast<std::size_t>(FailureKind::alpn)).value(), 2U);
  EXPECT_EQ(metrics.connect.failures.at(static_cast<std::size_t>(FailureKind::other)).value(), 1U);
  EXPECT_EQ(metrics.timeouts.at(static_cast<std::size_t>(TimeoutKind::idle)).value(), 1U);
  EXPECT_EQ(metrics.timeouts.at(static_cast<std::size_t>(TimeoutKind::handshake)).value(), 0U);
}

TEST(TimeoutKindTest, NamesEveryKind) {
  EXPECT_STREQ(timeoutKindName(TimeoutKind::handshake), "handshake");
  EXPECT_STREQ(timeoutKindName(TimeoutKind::connect), "connect");
  EXPECT_STREQ(timeoutKindName(TimeoutKind::idle), "idle");
  EXPECT_STREQ(timeoutKindName(TimeoutKind::close), "close");
  EXPECT_STREQ(timeoutKindName(TimeoutKind::drain), "drain");
}

}  // namespace
}  // namespace tlsgate
