#include "metrics/metrics_registry.h"

namespace tlsgate {
namespace {

void addSide(TlsSideTotals& out, const TlsSideMetrics& in) {
  out.handshakes += in.handshakes.value();
  out.resumptions += in.resumptions.value();
  for (std::size_t i = 0; i < out.failures.size(); ++i) {
    out.failures[i] += in.failures[i].value();
  }
  for (std::size_t i = 0; i < out.duration_buckets.size(); ++i) {
    out.duration_buckets[i] += in.duration.buckets[i].value();
  }
  out.duration_sum_microseconds += in.duration.sum_microseconds.value();
  out.duration_count += in.duration.count.value();
}

void addListener(ListenerTotals& out, const ListenerMetrics& in) {
  out.connections_total += in.connections_total.value();
  out.connections_active += in.connections_active.value();
  addSide(out.accept, in.accept);
  addSide(out.connect, in.connect);
  out.bytes_up += in.bytes_up.value();
  out.bytes_down += in.bytes_down.value();
  out.backend_connect_failures += in.backend_connect_failures.value();
  for (std::size_t i = 0; i < out.timeouts.size(); ++i) {
    out.timeouts[i] += in.timeouts[i].value();
  }
  out.dropped += in.dropped.value();
  out.accept_errors += in.accept_errors.value();
}

}  // namespace

ListenerMetrics& MetricsRegistry::listener(const std::string& name, std::size_t worker) {
  std::lock_guard lock(mutex_);
  auto& blocks = blocks_[name];
  if (blocks.empty()) {
    for (std::size_t i = 0; i < workers_; ++i) {
      blocks.push_back(std::make_unique<ListenerMetrics>());
    }
  }
  return *blocks.at(worker);
}

std::vector<ListenerTotals> MetricsRegistry::totals() const {
  std::lock_guard lock(mutex_);
  std::vector<ListenerTotals> out;
  out.reserve(blocks_.size());
  for (const auto& [name, blocks] : blocks_) {
    ListenerTotals& totals = out.emplace_back();
    totals.name = name;
    for (const auto& block : blocks) {
      addListener(totals, *block);
    }
  }
  return out;
}

}  // namespace tlsgate
