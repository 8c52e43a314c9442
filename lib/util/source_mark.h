// A position in a configuration file, for error messages.
#pragma once

#include <string>

namespace tlsgate {

struct SourceMark {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown

  // "file:line:col", or just "file" when the position is unknown.
  std::string str() const {
    if (line <= 0) {
      return file;
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

}  // namespace tlsgate
