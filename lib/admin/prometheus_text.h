// What /metrics serves: the Prometheus text exposition format, version 0.0.4.
#pragma once

#include <string>

#include "metrics/snapshots.h"

namespace tlsgate {

// One # HELP and # TYPE pair per metric family, then its samples. Every
// family is written even when it has no samples, so a scrape always shows
// the same set of names.
std::string renderPrometheus(const MetricsSnapshot& snapshot);

}  // namespace tlsgate
