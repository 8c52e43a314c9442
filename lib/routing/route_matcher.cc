#include "routing/route_matcher.h"

#include <algorithm>

namespace tlsgate {
namespace {

// DNS names compare without regard to ASCII case (RFC 4343); SNI carries no
// other letters, since international names travel as A-labels.
char lowered(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lowered(x) == lowered(y);
         });
}

bool sniAccepts(const std::vector<std::string>& patterns, std::string_view sni) {
  return patterns.empty() || std::any_of(patterns.begin(), patterns.end(),
                                         [&](const std::string& p) { return sniMatches(p, sni); });
}

bool alpnAccepts(const std::vector<std::string>& wanted, std::span<const std::string> alpn) {
  return wanted.empty() || std::any_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
           return std::find(alpn.begin(), alpn.end(), w) != alpn.end();
         });
}

}  // namespace

bool sniMatches(std::string_view pattern, std::string_view name) {
  if (name.empty() || pattern.empty()) {
    return false;
  }
  if (pattern == "*") {
    return true;
  }
  if (!pattern.starts_with("*.")) {
    return equalsIgnoringCase(pattern, name);
  }
  const std::string_view suffix = pattern.substr(1);  // ".example.com"
  if (suffix.size() < 2 || name.size() <= suffix.size()) {
    return false;
  }
  const std::string_view label = name.substr(0, name.size() - suffix.size());
  return label.find('.') == std::string_view::npos &&
         equalsIgnoringCase(name.substr(label.size()), suffix);
}

std::optional<std::size_t> matchRoute(const std::vector<RouteConfig>& routes, std::string_view sni,
                                      std::span<const std::string> alpn) {
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const RouteMatch& match = routes[i].match;
    if (sniAccepts(match.sni, sni) && alpnAccepts(match.alpn, alpn)) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace tlsgate
