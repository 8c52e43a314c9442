// Startup steps between loading the config and serving.
#pragma once

#include "config/config.h"

namespace tlsgate {

// For every certificate marked self_signed whose files are both missing,
// generates a self-signed one for localhost and logs a warning.
void prepareSelfSignedCertificates(const Config& config);

// Loads every certificate, key and CA file and resolves every address
// without binding: the work of `tlsgate check`. Throws ConfigError.
void validateConfig(const Config& config);

}  // namespace tlsgate
