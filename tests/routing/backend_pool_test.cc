#include "routing/backend_pool.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <limits>
#include <thread>
#include <type_traits>
#include <vector>

namespace tlsgate {
namespace {

using std::chrono::seconds;

std::vector<std::size_t> tried(BackendPool::Order order) {
  std::vector<std::size_t> out;
  while (auto index = order.next()) {
    out.push_back(*index);
  }
  return out;
}

using Indices = std::vector<std::size_t>;

TEST(BackendPoolTest, OrderIsASmallValue) {
  static_assert(std::is_trivially_copyable_v<BackendPool::Order>);
  static_assert(sizeof(BackendPool::Order) <= BackendPool::kMaxBackends + 8);
}

TEST(BackendPoolTest, RoundRobinStartsOneFurtherEachTime) {
  const BackendPool pool(3, Balance::round_robin, seconds(10));
  EXPECT_EQ(tried(pool.order(0)), (Indices{0, 1, 2}));
  EXPECT_EQ(tried(pool.order(0)), (Indices{1, 2, 0}));
  EXPECT_EQ(tried(pool.order(0)), (Indices{2, 0, 1}));
  EXPECT_EQ(tried(pool.order(0)), (Indices{0, 1, 2}));
}

TEST(BackendPoolTest, FailoverAlwaysStartsFromTheFirst) {
  const BackendPool pool(3, Balance::failover, seconds(10));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(tried(pool.order(0)), (Indices{0, 1, 2}));
  }
}

TEST(BackendPoolTest, TriesAFailedBackendLastUntilTheTimeoutPasses) {
  const BackendPool pool(3, Balance::failover, seconds(10));
  pool.markFailed(0, 1000);
  EXPECT_TRUE(pool.isDown(0, 1000));
  EXPECT_TRUE(pool.isDown(0, 10'999));
  EXPECT_EQ(tried(pool.order(10'999)), (Indices{1, 2, 0}));
  EXPECT_FALSE(pool.isDown(0, 11'000));
  EXPECT_EQ(tried(pool.order(11'000)), (Indices{0, 1, 2}));
}

TEST(BackendPoolTest, RoundRobinSpreadsOverTheHealthyOnes) {
  const BackendPool pool(3, Balance::round_robin, seconds(10));
  pool.markFailed(1, 0);
  std::array<int, 3> first{};
  for (int i = 0; i < 10; ++i) {
    const Indices order = tried(pool.order(5));
    ASSERT_EQ(order.size(), 3U);
    EXPECT_EQ(order.back(), 1U);
    ++first[order.front()];
  }
  EXPECT_EQ(first[0], 5);
  EXPECT_EQ(first[1], 0);
  EXPECT_EQ(first[2], 5);
}

TEST(BackendPoolTest, StillOffersEveryBackendWhenAllAreDown) {
  const BackendPool pool(3, Balance::failover, seconds(10));
  pool.markFailed(0, 100);
  pool.markFailed(1, 100);
  pool.markFailed(2, 100);
  EXPECT_EQ(tried(pool.order(200)), (Indices{0, 1, 2}));
  const BackendPool rotating(3, Balance::round_robin, seconds(10));
  for (std::size_t i = 0; i < 3; ++i) {
    rotating.markFailed(i, 100);
  }
  EXPECT_EQ(tried(rotating.order(200)), (Indices{0, 1, 2}));
  EXPECT_EQ(tried(rotating.order(200)), (Indices{1, 2, 0}));
}

TEST(BackendPoolTest, MarkOkRevivesABackendAtOnce) {
  const BackendPool pool(2, Balance::failover, seconds(10));
  pool.markFailed(0, 100);
  EXPECT_EQ(tried(pool.order(200)), (Indices{1, 0}));
  pool.markOk(0);
  EXPECT_FALSE(pool.isDown(0, 200));
  EXPECT_EQ(tried(pool.order(200)), (Indices{0, 1}));
}

TEST(BackendPoolTest, ALateReportDoesNotShortenALaterFailure) {
  const BackendPool pool(1, Balance::failover, seconds(10));
  pool.markFailed(0, 5000);
  pool.markFailed(0, 4000);  // read from a worker's clock a little earlier
  EXPECT_TRUE(pool.isDown(0, 14'999));
  EXPECT_FALSE(pool.isDown(0, 15'000));
}

TEST(BackendPoolTest, NeverMarksDownWithoutAFailTimeout) {
  const BackendPool pool(2, Balance::failover, seconds(0));
  pool.markFailed(0, 100);
  EXPECT_FALSE(pool.isDown(0, 100));
  EXPECT_EQ(tried(pool.order(100)), (Indices{0, 1}));
}

TEST(BackendPoolTest, IgnoresIndicesOutsideThePool) {
  const BackendPool pool(2, Balance::failover, seconds(10));
  pool.markFailed(2, 100);
  pool.markOk(7);
  EXPECT_FALSE(pool.isDown(2, 100));
  EXPECT_EQ(tried(pool.order(100)), (Indices{0, 1}));
}

TEST(BackendPoolTest, HoldsAtMostTheLongestList) {
  const BackendPool pool(BackendPool::kMaxBackends + 10, Balance::round_robin, seconds(10));
  EXPECT_EQ(pool.size(), BackendPool::kMaxBackends);
  const Indices order = tried(pool.order(0));
  ASSERT_EQ(order.size(), BackendPool::kMaxBackends);
  EXPECT_EQ(order.back(), BackendPool::kMaxBackends - 1);
  const BackendPool empty(0, Balance::round_robin, seconds(10));
  EXPECT_EQ(empty.order(0).next(), std::nullopt);
}

TEST(BackendPoolTest, AFailureAtTheEndOfTimeStaysDown) {
  const BackendPool pool(1, Balance::failover, seconds(10));
  const uint64_t late = std::numeric_limits<uint64_t>::max() - 5;
  pool.markFailed(0, late);
  EXPECT_TRUE(pool.isDown(0, late + 1));
}

// Workers share one pool: each order stays a permutation, and the counter
// hands out every turn exactly once.
TEST(BackendPoolTest, SharesOnePoolBetweenThreads) {
  constexpr std::size_t kBackends = 5;
  constexpr int kThreads = 4;
  constexpr int kOrders = 5000;
  const BackendPool pool(kBackends, Balance::round_robin, std::chrono::milliseconds(3));
  std::atomic<int> broken{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, &broken, t] {
      for (int i = 0; i < kOrders; ++i) {
        const uint64_t now = static_cast<uint64_t>(i);
        BackendPool::Order order = pool.order(now);
        std::array<int, kBackends> seen{};
        std::size_t count = 0;
        while (auto index = order.next()) {
          if (*index >= kBackends || seen[*index]++ != 0) {
            ++broken;
          }
          ++count;
          if ((i + t) % 7 == 0) {
            pool.markFailed(*index, now);
          } else if ((i + t) % 11 == 0) {
            pool.markOk(*index);
          }
        }
        if (count != kBackends) {
          ++broken;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(broken.load(), 0);

  // With every backend up, the next kBackends orders start once at each.
  for (std::size_t i = 0; i < kBackends; ++i) {
    pool.markOk(i);
  }
  std::array<int, kBackends> first{};
  for (std::size_t i = 0; i < kBackends; ++i) {
    ++first[*pool.order(0).next()];
  }
  for (const int starts : first) {
    EXPECT_EQ(starts, 1);
  }
}

TEST(BackendPoolTest, HandsEveryThreadItsShareOfTurns) {
  constexpr std::size_t kBackends = 3;
  constexpr int kThreads = 4;
  constexpr int kOrders = 3000;
  const BackendPool pool(kBackends, Balance::round_robin, seconds(10));
  std::array<std::array<int, kBackends>, kThreads> first{};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, &first, t] {
      for (int i = 0; i < kOrders; ++i) {
        ++first[t][*pool.order(0).next()];
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (std::size_t b = 0; b < kBackends; ++b) {
    int total = 0;
    for (int t = 0; t < kThreads; ++t) {
      total += first[t][b];
    }
    EXPECT_EQ(total, kThreads * kOrders / static_cast<int>(kBackends)) << "backend " << b;
  }
}

}  // namespace
}  // namespace tlsgate
