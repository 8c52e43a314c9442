#include "config/route_parser.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "config/connect_parser.h"
#include "config/host_name.h"
#include "util/text.h"

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 2> kRouteKeys = {"match", "connect"};
constexpr std::array<std::string_view, 2> kMatchKeys = {"sni", "alpn"};

constexpr std::size_t kMaxAlpnProtocolLength = 255;  // one length byte on the wire (RFC 7301)

// `key: VALUE` or `key: [VALUES]`, never empty.
std::vector<ConfigNode> oneOrMany(const ConfigNode& node) {
  if (!node.isList()) {
    return {node};
  }
  std::vector<ConfigNode> items = node.items();
  if (items.empty()) {
    node.fail("needs at least one entry");
  }
  return items;
}

std::string parseSniEntry(const ConfigNode& item) {
  std::string name = lowerCase(item.asNonEmptyString());
  // Clients may send the absolute form; tlsgate compares without the dot.
  // "*." is a wildcard with no suffix, not the absolute form of "*".
  if (name.size() > 1 && name.ends_with('.') && name != "*.") {
    name.pop_back();
  }
  if (name == "*") {
    return name;
  }
  const std::string_view suffix =
      name.starts_with("*.") ? std::string_view(name).substr(2) : std::string_view(name);
  if (suffix.find('*') != std::string_view::npos) {
    item.fail("'" + name +
              "': a wildcard must be the whole first label (*.example.com), or * alone for any "
              "server name");
  }
  if (!isHostName(suffix)) {
    item.fail("'" + name + "' is not a host name such as api.example.com");
  }
  if (isIpv4Literal(suffix)) {
    item.fail("'" + name +
              "' is an IP address; clients never send one as SNI (RFC 6066), so this could "
              "never match");
  }
  return name;
}

std::string parseAlpnEntry(const ConfigNode& item) {
  std::string protocol = item.asNonEmptyString();
  if (protocol.size() > kMaxAlpnProtocolLength) {
    item.fail("an ALPN protocol name is at most 255 bytes");
  }
  return protocol;
}

template <typename Parse>
std::vector<std::string> parseEntries(const ConfigNode& node, Parse parse) {
  std::vector<std::string> out;
  for (const ConfigNode& item : oneOrMany(node)) {
    std::string entry = parse(item);
    if (std::find(out.begin(), out.end(), entry) != out.end()) {
      item.fail("'" + entry + "' is listed twice");
    }
    out.push_back(std::move(entry));
  }
  return out;
}

RouteMatch parseMatch(const ConfigNode& node) {
  node.expectMap();
  node.checkKeys(KeySchema{kMatchKeys});
  RouteMatch match;
  const auto sni = node.find("sni");
  const auto alpn = node.find("alpn");
  if (!sni && !alpn) {
    node.fail(
        "needs sni, alpn or both; for connections that no route matches, the listener's own "
        "connect is used");
  }
  if (sni) {
    match.sni = parseEntries(*sni, parseSniEntry);
  }
  if (alpn) {
    match.alpn = parseEntries(*alpn, parseAlpnEntry);
  }
  return match;
}

std::vector<std::string> sorted(std::vector<std::string> entries) {
  std::sort(entries.begin(), entries.end());
  return entries;
}

// The order inside a list does not change what a match admits.
bool sameMatch(const RouteMatch& a, const RouteMatch& b) {
  return sorted(a.sni) == sorted(b.sni) && sorted(a.alpn) == sorted(b.alpn);
}

// The first matching route wins, so a later one with the same match never runs.
void checkReachable(const std::vector<RouteConfig>& routes, const ConfigNode& match_node) {
  const RouteConfig& route = routes.back();
  for (std::size_t i = 0; i + 1 < routes.size(); ++i) {
    if (!sameMatch(routes[i].match, route.match)) {
      continue;
    }
    match_node.fail("can never be reached: the route at line " +
                    std::to_string(routes[i].mark.line) +
                    " has the same match and comes first; merge them or change one match");
  }
}

}  // namespace

std::vector<RouteConfig> parseRoutes(const ConfigNode& node, const AcceptConfig& accept,
                                     const std::optional<ConfigNode>& tls_defaults) {
  std::vector<RouteConfig> routes;
  for (const ConfigNode& item : node.items()) {
    item.expectMap();
    item.checkKeys(KeySchema{kRouteKeys});
    RouteConfig route;
    route.mark = item.mark();
    const ConfigNode match = item.require("match");
    route.match = parseMatch(match);
    route.connect = parseConnect(item.require("connect"), accept, tls_defaults);
    routes.push_back(std::move(route));
    checkReachable(routes, match);
  }
  return routes;
}

}  // namespace tlsgate
