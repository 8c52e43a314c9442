// Process-wide logging: spdlog's default logger, set up from `global.log`.
#pragma once

#include <string>

#include "config/config.h"

namespace tlsgate {

// Text to stderr at info level: in force until the config is read.
void setupBootstrapLogging();

// Applies `log`: level, text or JSON lines, and stderr, syslog or a file.
// Throws ConfigError when the file cannot be opened.
void setupLogging(const LogConfig& log);

// SIGUSR1: closes the log file and opens its path again, after logrotate
// has renamed it. True when there is no file or it was reopened; otherwise
// false with the reason, and logging goes on to the old file.
bool reopenLogFile(std::string* error);

}  // namespace tlsgate
