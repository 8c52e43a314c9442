// The files a configuration names, for global.watch.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace tlsgate {

// The config file itself and every file it reads: certificates, keys,
// password files, CA files and directories, CRLs, DH parameters, OCSP
// responses, ticket keys and the admin token. Sorted, without duplicates.
// Key logs are written, not read, and are left out.
std::vector<std::string> filesNamedBy(const Config& config);

}  // namespace tlsgate
