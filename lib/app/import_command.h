// `tlsgate import stunnel|hitch FILE [-o OUT]`: converts another proxy's
// configuration and checks that tlsgate accepts the result.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace tlsgate {

// Exit statuses of the command besides the usual 1 (the file cannot be
// read, or its own program would refuse it) and 2 (usage).
constexpr int kImportEquivalent = 0;  // the result does what the file did
constexpr int kImportDiffers = 3;     // something was left out or changed: see the warnings

// Writes the YAML to `output` (a path) or to `out`, and the warnings, one
// "file:line: warning: ..." line each, to `err`. Throws ConfigError and
// std::invalid_argument (an unknown format).
int runImportCommand(const std::string& format, const std::string& input,
                     const std::optional<std::string>& output, std::ostream& out,
                     std::ostream& err);

}  // namespace tlsgate
