#include "app/file_limit.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <string>

#include "util/config_error.h"

namespace tlsgate {
namespace {

// Loops, their wake-up descriptors, the log file, the admin endpoint's
// sockets, files opened on reload, and the odd pipe.
constexpr uint64_t kBaseHeadroom = 64;

}  // namespace

uint64_t fileLimitHeadroom(const Config& config, int workers) {
  const auto per_worker = static_cast<uint64_t>(config.listeners.size()) + 4;
  return kBaseHeadroom + per_worker * static_cast<uint64_t>(workers);
}

void fitFileLimit(Config& config, int workers) {
  Limits& limits = config.global.limits;
  const uint64_t headroom = fileLimitHeadroom(config, workers);
  const uint64_t needed = 2 * limits.max_connections + headroom;

  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return;
  }
  if (limit.rlim_cur < needed) {
    rlimit raised = limit;
    raised.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(needed, limit.rlim_max);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
      // Root (CAP_SYS_RESOURCE) may raise the hard limit too.
      rlimit both{needed, needed};
      if (::setrlimit(RLIMIT_NOFILE, &both) == 0) {
        return;
      }
    }
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    }
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) {
    return;
  }
  const uint64_t available = limit.rlim_cur;
  const uint64_t fits = available > headroom ? (available - headroom) / 2 : 0;
  const std::string why = "the open-file limit is " + std::to_string(available) + " and " +
                          std::to_string(limits.max_connections) + " connections need " +
                          std::to_string(needed) + " descriptors (two each, plus " +
                          std::to_string(headroom) + ")";
  if (!limits.max_connections_set) {
    if (fits == 0) {
      throw ConfigError(why +
                        "; not even one connection fits: raise the limit (LimitNOFILE= "
                        "in the systemd unit, ulimit -n, or docker --ulimit nofile=)");
    }
    spdlog::warn(
        "{}; serving at most {} connections (raise the limit with LimitNOFILE=, "
        "ulimit -n or docker --ulimit nofile=, or set limits.max_connections)",
        why, fits);
    limits.max_connections = fits;
    return;
  }
  const std::string fixes =
      "raise the limit (LimitNOFILE=, ulimit -n, docker --ulimit nofile=), "
      "set max_connections to at most " +
      std::to_string(fits) + ", or set limits.strict_fd_limit: false to run anyway";
  if (limits.strict_fd_limit) {
    throw ConfigError(limits.max_connections_mark, "limits.max_connections", why + "; " + fixes);
  }
  spdlog::warn(
      "limits.max_connections: {}; connections beyond about {} will fail with "
      "\"too many open files\"",
      why, fits);
}

}  // namespace tlsgate
