#include "app/admin_target.h"

#include "admin/admin_token.h"
#include "config/address_parser.h"
#include "config/config_loader.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {}  // namespace

AdminTarget resolveAdminTarget(const std::optional<std::string>& admin,
                               const std::string& config_path,
                               const std::optional<std::string>& token_file) {
  AdminTarget target;
  std::optional<Config> config;
  if (!admin || !token_file) {
    try {
      config = ConfigLoader::loadFile(config_path);
    } catch (const ConfigError&) {
      // No usable config here (a client host, or a file only root reads):
      // the defaults and the flags are all there is.
    }
  }
  if (admin) {
    target.address = *admin;
  } else if (config && config->global.admin.listen) {
    target.address = formatAddress(*config->global.admin.listen);
  } else {
    target.address = kDefaultAdminAddress;
  }
  if (token_file) {
    target.token = readAdminToken(LocatedPath{*token_file, {}});
  } else if (config && !config->global.admin.token_file.value.empty()) {
    target.token = readAdminToken(config->global.admin.token_file);
  }
  return target;
}

}  // namespace tlsgate
