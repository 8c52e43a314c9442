#include "admin/admin_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>

#include "util/config_error.h"

namespace tlsgate {
namespace {

constexpr const char* kTokenKey = "global.admin.token_file";
// A token is one line; nothing longer is read.
constexpr std::size_t kTokenFileLimit = std::size_t{64} * 1024;

std::string errnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

}  // namespace

std::string readAdminToken(const LocatedPath& file) {
  const int fd = ::open(file.value.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ConfigError(file.mark, kTokenKey, "cannot read " + file.value + ": " + errnoText(errno));
  }
  std::string text;
  char buffer[4096];
  ssize_t n = 0;
  while (text.find('\n') == std::string::npos && text.size() < kTokenFileLimit &&
         (n = ::read(fd, buffer, sizeof(buffer))) > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  const int error = errno;
  ::close(fd);
  OPENSSL_cleanse(buffer, sizeof(buffer));
  if (n < 0) {
    OPENSSL_cleanse(text.data(), text.size());
    throw ConfigError(file.mark, kTokenKey, "cannot read " + file.value + ": " + errnoText(error));
  }
  const std::string_view line = std::string_view(text).substr(0, text.find('\n'));
  const auto first = line.find_first_not_of(" \t\r");
  const auto last = line.find_last_not_of(" \t\r");
  std::string token = first == std::string_view::npos
                          ? std::string()
                          : std::string(line.substr(first, last - first + 1));
  OPENSSL_cleanse(text.data(), text.size());
  if (token.empty()) {
    throw ConfigError(file.mark, kTokenKey, file.value + " has no token; put it on the first line");
  }
  return token;
}

}  // namespace tlsgate
