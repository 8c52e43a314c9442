#include "migrate/import_file.h"

#include "migrate/hitch_conf.h"
#include "migrate/hitch_import.h"
#include "migrate/stunnel_conf.h"
#include "migrate/stunnel_import.h"
#include "util/config_error.h"

namespace tlsgate {

std::optional<ImportFormat> importFormat(std::string_view name) {
  if (name == "stunnel") {
    return ImportFormat::stunnel;
  }
  if (name == "hitch") {
    return ImportFormat::hitch;
  }
  return std::nullopt;
}

ImportResult importFile(ImportFormat format, const std::string& path) {
  switch (format) {
    case ImportFormat::stunnel:
      return importStunnel(readStunnelConf(path), path);
    case ImportFormat::hitch:
      return importHitch(readHitchConf(path));
  }
  throw ConfigError(path + ": unknown import format");
}

}  // namespace tlsgate
