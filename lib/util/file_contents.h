// Reads a whole file into memory: certificates, keys, DH parameters, OCSP
// responses, ticket keys and the config file are all read this way, and
// each caller words its own error from `error`.
#pragma once

#include <string>

namespace tlsgate {

struct FileContents {
  std::string bytes;
  int error = 0;        // errno of the failed open or read; 0 on success
  bool opened = false;  // false when the open itself failed
  bool ok() const { return error == 0; }
};

// The file's bytes, unchanged. A directory fails with EISDIR.
FileContents readWholeFile(const std::string& path);

}  // namespace tlsgate
