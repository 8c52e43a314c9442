#include "tls/secret_tap.h"

namespace tlsgate {

std::optional<DerivedSecret> parseKeylogLine(std::string_view line) {
  const std::size_t label_end = line.find(' ');
  if (label_end == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t random_end = line.find(' ', label_end + 1);
  if (random_end == std::string_view::npos) {
    return std::nullopt;
  }
  return DerivedSecret{line.substr(0, label_end),
                       line.substr(label_end + 1, random_end - label_end - 1),
                       line.substr(random_end + 1)};
}

void tapSecret(std::string_view line, std::span<SecretTap* const> taps) {
  const std::optional<DerivedSecret> secret = parseKeylogLine(line);
  if (!secret) {
    return;
  }
  for (SecretTap* tap : taps) {
    if (tap != nullptr) {
      tap->onSecret(*secret);
    }
  }
}

}  // namespace tlsgate
