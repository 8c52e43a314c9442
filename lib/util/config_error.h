// The one exception type of tlsgate. It is thrown while loading the
// configuration and starting up, never on the data path. Its message is one
// line: control bytes of a quoted value are written \xNN (escapeControlBytes).
#pragma once

#include <stdexcept>
#include <string>

#include "util/source_mark.h"
#include "util/text.h"

namespace tlsgate {

class ConfigError : public std::runtime_error {
 public:
  // Reads "file:line:col key: reason".
  ConfigError(const SourceMark& mark, const std::string& key, const std::string& reason)
      : std::runtime_error(escapeControlBytes(format(mark, key, reason))) {}

  explicit ConfigError(const std::string& message)
      : std::runtime_error(escapeControlBytes(message)) {}

 private:
  static std::string format(const SourceMark& mark, const std::string& key,
                            const std::string& reason) {
    std::string out = mark.str();
    if (!out.empty()) {
      out += ": ";
    }
    if (!key.empty()) {
      out += key + ": ";
    }
    return out + reason;
  }
};

}  // namespace tlsgate
