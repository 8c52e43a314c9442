#include "config/host_name.h"

#include <arpa/inet.h>

#include <cctype>
#include <string>

namespace tlsgate {
namespace {

constexpr std::size_t kMaxNameLength = 253;
constexpr std::size_t kMaxLabelLength = 63;

bool isLabelChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

bool isLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength || label.front() == '-' ||
      label.back() == '-') {
    return false;
  }
  for (char c : label) {
    if (!isLabelChar(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool isHostName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return false;
  }
  while (true) {
    const std::size_t dot = name.find('.');
    if (!isLabel(name.substr(0, dot))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    name.remove_prefix(dot + 1);
  }
}

bool isIpv4Literal(std::string_view name) {
  // inet_pton reads a C string: "10.0.0.1\0x" would pass as 10.0.0.1.
  if (name.find('\0') != std::string_view::npos) {
    return false;
  }
  in_addr scratch{};
  return inet_pton(AF_INET, std::string(name).c_str(), &scratch) == 1;
}

}  // namespace tlsgate
