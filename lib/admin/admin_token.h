// The admin endpoint's bearer token, as global.admin.token_file holds it.
#pragma once

#include <string>

#include "config/config.h"

namespace tlsgate {

// The first line of `file`, without surrounding whitespace. Throws
// ConfigError at the file's position when it cannot be read or the line is
// empty. The caller cleanses the returned string when done with it.
std::string readAdminToken(const LocatedPath& file);

}  // namespace tlsgate
