#include "metrics/counter.h"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

TEST(CounterTest, StartsAtZeroAndAdds) {
  Counter counter;
  EXPECT_EQ(counter.value(), 0U);
  counter.add();
  counter.add(41);
  EXPECT_EQ(counter.value(), 42U);
}

TEST(GaugeTest, GoesUpAndDown) {
  Gauge gauge;
  gauge.add();
  gauge.add(3);
  gauge.sub();
  EXPECT_EQ(gauge.value(), 3);
  gauge.sub(5);
  EXPECT_EQ(gauge.value(), -2);
}

}  // namespace
}  // namespace tlsgate
