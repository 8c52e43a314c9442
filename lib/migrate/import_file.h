// `tlsgate import FORMAT FILE`: the one entry point for every format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "migrate/import_report.h"

namespace tlsgate {

enum class ImportFormat { stunnel, hitch };

// "stunnel" or "hitch"; nullopt for anything else.
std::optional<ImportFormat> importFormat(std::string_view name);

// Reads and converts the file at `path`. Throws ConfigError, naming
// file:line, when the file cannot be read or its own program would refuse it.
ImportResult importFile(ImportFormat format, const std::string& path);

}  // namespace tlsgate
