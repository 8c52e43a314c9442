#include "metrics/metrics_registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tlsgate {
namespace {

TEST(MetricsRegistryTest, AddsTheWorkersBlocksPerName) {
  MetricsRegistry registry(3);
  registry.listener("web", 0).connections_total.add(2);
  registry.listener("web", 1).connections_total.add(3);
  registry.listener("web", 2).connections_active.add(4);
  registry.listener("web", 2).connections_active.sub(1);
  registry.listener("web", 0).bytes_up.add(100);
  registry.listener("web", 2).bytes_down.add(7);
  registry.listener("web", 1).accept.handshakes.add();
  registry.listener("web", 2).accept.fail(FailureKind::timeout);
  registry.listener("web", 0).accept.duration.observe(3000);
  registry.listener("web", 1).accept.duration.observe(3000);
  registry.listener("web", 1).timedOut(TimeoutKind::connect);
  registry.listener("api", 1).connect.resumptions.add();
  registry.listener("api", 2).dropped.add();
  registry.listener("api", 0).accept_errors.add(2);
  registry.listener("api", 0).backend_connect_failures.add(5);

  const std::vector<ListenerTotals> totals = registry.totals();
  ASSERT_EQ(totals.size(), 2U);
  EXPECT_EQ(totals[0].name, "api");  // in name order
  EXPECT_EQ(totals[1].name, "web");

  const ListenerTotals& api = totals[0];
  EXPECT_EQ(api.connect.resumptions, 1U);
  EXPECT_EQ(api.dropped, 1U);
  EXPECT_EQ(api.accept_errors, 2U);
  EXPECT_EQ(api.backend_connect_failures, 5U);
  EXPECT_EQ(api.connections_total, 0U);

  const ListenerTotals& web = totals[1];
  EXPECT_EQ(web.connections_total, 5U);
  EXPECT_EQ(web.connections_active, 3);
  EXPECT_EQ(web.bytes_up, 100U);
  EXPECT_EQ(web.bytes_down, 7U);
  EXPECT_EQ(web.accept.handshakes, 1U);
  EXPECT_EQ(web.accept.failures.at(static_cast<std::size_t>(FailureKind::timeout)), 1U);
  EXPECT_EQ(web.accept.duration_buckets.at(2), 2U);  // 3 ms: <= 5 ms
  EXPECT_EQ(web.accept.duration_count, 2U);
  EXPECT_EQ(web.accept.duration_sum_microseconds, 6000U);
  EXPECT_EQ(web.timeouts.at(static_cast<std::size_t>(TimeoutKind::connect)), 1U);
  EXPECT_EQ(web.connect.handshakes, 0U);
}

TEST(MetricsRegistryTest, HandsOutTheSameBlockEveryTime) {
  MetricsRegistry registry(2);
  ListenerMetrics& first = registry.listener("web", 1);
  EXPECT_EQ(&registry.listener("web", 1), &first);
  EXPECT_NE(&registry.listener("web", 0), &first);
  EXPECT_NE(&registry.listener("api", 1), &first);
  EXPECT_EQ(registry.workers(), 2U);
}

TEST(MetricsRegistryTest, KeepsANameThatIsNoLongerWritten) {
  MetricsRegistry registry(1);
  registry.listener("old", 0).connections_total.add(9);
  registry.listener("new", 0);
  const std::vector<ListenerTotals> totals = registry.totals();
  ASSERT_EQ(totals.size(), 2U);
  EXPECT_EQ(totals[1].name, "old");
  EXPECT_EQ(totals[1].connections_total, 9U);
}

TEST(MetricsRegistryTest, ReadersSeeWhatEachWorkerWrote) {
  MetricsRegistry registry(2);
  std::vector<std::thread> workers;
  for (std::size_t worker = 0; worker < 2; ++worker) {
    workers.emplace_back([&registry, worker] {
      ListenerMetrics& block = registry.listener("web", worker);
      for (int i = 0; i < 10000; ++i) {
        block.connections_total.add();
      }
    });
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(registry.totals().at(0).connections_total, 20000U);
}

}  // namespace
}  // namespace tlsgate
