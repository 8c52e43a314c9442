// ${VAR} expansion in configuration values.
//
//   ${VAR}           the value of VAR; an error when VAR is not set
//   ${VAR:-default}  the value of VAR, or `default` when VAR is unset or empty
//   $$               a literal $
//
// Any other $ is kept as written, so values such as cipher strings or
// passwords that happen to hold a $ need no quoting.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/parse_result.h"

namespace tlsgate {

// Looks a variable up; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the process environment.
std::optional<std::string> processEnv(const std::string& name);

ParseResult<std::string> expandEnv(std::string_view text, const EnvLookup& lookup = processEnv);

// True for names made of letters, digits and _, not starting with a digit.
bool isEnvName(std::string_view name);

}  // namespace tlsgate
