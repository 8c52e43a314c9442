#include "app/admin_target.h"

#include <fstream>

#include "config/address_parser.h"
#include "config/config_loader.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

std::string readToken(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    throw ConfigError("cannot read the admin token from " + path);
  }
  const auto first = line.find_first_not_of(" \t\r");
  const auto last = line.find_last_not_of(" \t\r");
  return first == std::string::npos ? std::string() : line.substr(first, last - first + 1);
}

}  // namespace

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
    target.token = readToken(*token_file);
  } else if (config && !config->global.admin.token_file.value.empty()) {
    target.token = readToken(config->global.admin.token_file.value);
  }
  return target;
}

}  // namespace tlsgate
