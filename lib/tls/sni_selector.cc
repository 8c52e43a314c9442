#include "tls/sni_selector.h"

#include <algorithm>
#include <cctype>

namespace tlsgate {
namespace {

std::string lowerCase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A fully qualified name may end in a dot; certificates never do.
std::string_view withoutTrailingDot(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return name;
}

}  // namespace

void SniSelector::add(const std::vector<std::string>& names, std::size_t group) {
  for (const std::string& written : names) {
    const std::string name = lowerCase(withoutTrailingDot(written));
    if (name.starts_with("*.") && name.find('*', 1) == std::string::npos && name.size() > 2) {
      wildcard_.emplace(name.substr(2), group);  // emplace keeps an earlier group's claim
      continue;
    }
    if (name.find('*') == std::string::npos && !name.empty()) {
      exact_.emplace(name, group);
    }
  }
}

std::optional<std::size_t> SniSelector::select(std::string_view servername) const {
  const std::string name = lowerCase(withoutTrailingDot(servername));
  if (auto exact = exact_.find(name); exact != exact_.end()) {
    return exact->second;
  }
  const std::size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos || dot + 1 == name.size()) {
    return std::nullopt;
  }
  if (auto wildcard = wildcard_.find(name.substr(dot + 1)); wildcard != wildcard_.end()) {
    return wildcard->second;
  }
  return std::nullopt;
}

}  // namespace tlsgate
