// Dropping root after every socket is bound (global.user, global.group).
#pragma once

#include "config/config.h"

namespace tlsgate {

// Switches to global.user and global.group; does nothing when neither is
// set. Throws ConfigError naming what failed.
void dropPrivileges(const GlobalConfig& global);

}  // namespace tlsgate
