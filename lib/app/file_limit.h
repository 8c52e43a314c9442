// The open-file limit that limits.max_connections needs.
//
// Every connection holds two descriptors (client and backend), and the
// process needs a few more of its own: listening sockets, loops, log and
// admin endpoint. Without enough, accept() and connect() fail with EMFILE
// under load; tlsgate raises the limit at startup, or says plainly why it
// cannot.
#pragma once

#include <cstdint>

#include "config/config.h"

namespace tlsgate {

// Descriptors the process needs for `config` beyond two per connection.
uint64_t fileLimitHeadroom(const Config& config, int workers);

// Raises RLIMIT_NOFILE to what max_connections needs. When the hard limit is
// too low: an unset max_connections is lowered to fit (with a warning); a
// set one is a ConfigError at its position naming the fixes, or only a
// warning with strict_fd_limit: false. Changes config.global.limits.
void fitFileLimit(Config& config, int workers);

}  // namespace tlsgate
