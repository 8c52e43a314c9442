// Where `tlsgate status` and `tlsgate health` find the running instance.
#pragma once

#include <optional>
#include <string>

#include "admin/admin_client.h"

namespace tlsgate {

// The address from `--admin` if given, else the admin.listen of the config
// at `config_path` when it loads and has one, else 127.0.0.1:9100. The token
// from `--token-file` if given, else the config's admin.token_file. Throws
// ConfigError when a token file cannot be read.
AdminTarget resolveAdminTarget(const std::optional<std::string>& admin,
                               const std::string& config_path,
                               const std::optional<std::string>& token_file);

inline constexpr const char* kDefaultAdminAddress = "127.0.0.1:9100";

}  // namespace tlsgate
