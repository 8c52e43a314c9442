// stunnel.conf, read into its options: global ones, then one section per
// [service], each option with the file and line it came from. Only the
// file's structure is checked here; what the options mean is
// stunnel_import's business.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/import_report.h"

namespace tlsgate {

struct StunnelOption {
  std::string name;   // as written, e.g. "CAfile"
  std::string key;    // lower-case, for lookups: stunnel's names ignore case
  std::string value;  // trimmed
  SourceLine where;
};

struct StunnelSection {
  std::string name;  // the [service] name
  SourceLine where;
  std::vector<StunnelOption> options;

  // The last option called `key` (lower-case), or nullptr.
  const StunnelOption* last(std::string_view key) const;
  // Every option called `key`, in file order.
  std::vector<const StunnelOption*> all(std::string_view key) const;
};

struct StunnelConf {
  // Options before the first [service]: global options, and service options
  // that every service inherits.
  StunnelSection global;
  std::vector<StunnelSection> services;
};

// One file of an include directory: its path and its text.
struct IncludedFile {
  std::string path;
  std::string text;
};

// Reads the files of an `include = DIRECTORY` line, in the order stunnel
// includes them (by name). Throws ConfigError when it cannot.
using IncludeReader = std::function<std::vector<IncludedFile>(const StunnelOption& include)>;

// Parses `text`, read from `file`. Lines are "name = value", "[service]",
// blank, or comments starting with ';' or '#'. Throws ConfigError naming
// file:line for anything else, and for NUL bytes or text that is not UTF-8.
StunnelConf parseStunnelConf(std::string_view text, const std::string& file,
                             const IncludeReader& include_reader);

// Reads the file at `path` and the directories it includes.
StunnelConf readStunnelConf(const std::string& path);

}  // namespace tlsgate
