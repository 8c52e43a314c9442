// The SHA-256 pins of the certificates in a file, read at import time: a
// stunnel service with verifyPeer trusts exactly the certificates of its
// CAfile, which tlsgate says with pins.
#pragma once

#include <string>
#include <vector>

namespace tlsgate {

struct PinReading {
  std::vector<std::string> sha256;  // upper-case hex, as pin_sha256 and allow.sha256 take them
  std::string error;                // why the file could not be read; empty on success
};

PinReading certificatePins(const std::string& path);

}  // namespace tlsgate
