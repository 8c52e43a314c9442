#include "admin/admin_token.h"

#include <cstddef>
#include <string>
#include <string_view>

#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/secret_line.h"

namespace tlsgate {
namespace {

constexpr const char* kTokenKey = "global.admin.token_file";
// A token is one line; nothing longer is read.
constexpr std::size_t kTokenLineLimit = std::size_t{64} * 1024;

}  // namespace

std::string readAdminToken(const LocatedPath& file) {
  const SecretLine line(file.value, kTokenLineLimit);
  if (line.error() != 0) {
    throw ConfigError(file.mark, kTokenKey,
                      "cannot read " + file.value + ": " + errnoText(line.error()));
  }
  if (line.tooLong()) {
    throw ConfigError(file.mark, kTokenKey,
                      "the first line of " + file.value + " is longer than " +
                          std::to_string(kTokenLineLimit) + " bytes; put the token alone on it");
  }
  const std::string_view text = line.text();
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    throw ConfigError(file.mark, kTokenKey, file.value + " has no token; put it on the first line");
  }
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace tlsgate
