// A listener's routes: list, which picks the connect side by what the
// client's ClientHello offers (SNI and ALPN).
#pragma once

#include <optional>
#include <vector>

#include "config/config.h"
#include "config/config_node.h"

namespace tlsgate {

// Each route's connect is parsed like a listener's, with tls_defaults, and
// inherits nothing from the listener's own connect block.
std::vector<RouteConfig> parseRoutes(const ConfigNode& node, const AcceptConfig& accept,
                                     const std::optional<ConfigNode>& tls_defaults);

}  // namespace tlsgate
