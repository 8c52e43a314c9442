// Reads tlsgate's YAML configuration into a Config.
//
// Every error is a ConfigError whose message reads
// "file:line:col key: reason" and says what to change.
#pragma once

#include <string>

#include "config/config.h"

namespace tlsgate {

class ConfigLoader {
 public:
  // Loads `path`. Relative file paths inside it are resolved against the
  // directory that holds `path`. Throws ConfigError.
  static Config loadFile(const std::string& path);

  // Loads YAML text; `name` stands in for the file name in errors and
  // relative paths are resolved against `base_dir`. Throws ConfigError.
  static Config loadString(const std::string& yaml, const std::string& name = "<config>",
                           const std::string& base_dir = ".");
};

}  // namespace tlsgate
