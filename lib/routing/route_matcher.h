// Which route a connection takes (listeners[].routes): the first whose match
// accepts the server name the client asked for and the ALPN protocols.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tlsgate {

// "api.example.com" matches itself, in any case. "*.example.com" matches a
// name with exactly one more label in front: "a.example.com", but neither
// "example.com" nor "a.b.example.com". "*" matches any name. No pattern
// matches an empty name, which is what a client that sent no SNI has. A '*'
// anywhere else is an ordinary character.
bool sniMatches(std::string_view pattern, std::string_view name);

// The index of the first route whose match accepts, or std::nullopt when
// none does (the listener's own connect is used then). Every key a match
// gives must accept: sni when any of its patterns matches `sni`, alpn when
// any of its entries equals one of `alpn`. A match with no keys accepts
// every connection.
//
// `alpn` is the negotiated protocol (one entry, or none) when tlsgate
// terminates TLS, or the client's whole offer when it only reads the
// ClientHello.
std::optional<std::size_t> matchRoute(const std::vector<RouteConfig>& routes, std::string_view sni,
                                      std::span<const std::string> alpn);

}  // namespace tlsgate
