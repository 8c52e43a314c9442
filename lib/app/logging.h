// Process-wide logging: spdlog's default logger, set up from `global.log`.
#pragma once

#include "config/config.h"

namespace tlsgate {

// Text to stderr at info level: in force until the config is read.
void setupBootstrapLogging();

// Applies `log`: level, text or JSON lines, and stderr, syslog or a file.
// Throws ConfigError when the file cannot be opened.
void setupLogging(const LogConfig& log);

}  // namespace tlsgate
